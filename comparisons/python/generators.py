"""Python-generator row of the coroutine-lab comparison.

Measures generators (the article's own coroutines) on this machine and prints the same JSON samples
the Rust rows produce (see comparisons/src/samples.rs).

    python3 generators.py --part memory --count N      one memory repetition (run in a fresh process)
    python3 generators.py --part rest --create N --switch N --reps R --spin-ms S --work-ms W --tid-units U
"""
import argparse
import json
import sys
import threading
import time

MASK = (1 << 64) - 1
CHUNKS = 16
MARK = 0


def status():
    rss = vm = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "VmRSS:":
                rss = float(parts[1]) * 1024
            elif parts and parts[0] == "VmSize:":
                vm = float(parts[1]) * 1024
    return rss, vm


def accumulator(seed):
    """The measured unit: keeps a running sum across suspensions, yielding it each time."""
    acc = seed
    while True:
        x = yield acc
        acc = (acc + (x or 0)) & MASK


def memory(count, s):
    units = [None] * count
    rss0, vm0 = status()
    for i in range(count):
        g = accumulator(i)
        next(g)
        units[i] = g
    rss1, vm1 = status()
    s["memory_bytes"].append((rss1 - rss0) / count)
    s["virtual_bytes"].append((vm1 - vm0) / count)
    s["notes"].append(
        "sys.getsizeof(generator) = %d B (python %s)"
        % (sys.getsizeof(units[0]), sys.version.split()[0])
    )
    del units


def create_ns(n):
    t = time.perf_counter_ns()
    for i in range(n):
        g = accumulator(i)
        next(g)
        g.close()
    return (time.perf_counter_ns() - t) / n


def switch_ns(n):
    g = accumulator(0)
    next(g)
    send = g.send
    t = time.perf_counter_ns()
    for i in range(n):
        send(i)
    return (time.perf_counter_ns() - t) / n


def tids(units, s):
    def unit():
        yield threading.get_native_id()

    live = []
    for _ in range(units):
        g = unit()
        s["unit_tids"].append(next(g))
        live.append(g)
    s["creator_tid"] = threading.get_native_id()


def address(written):
    global MARK
    MARK = 0

    def unit():
        global MARK
        MARK = written
        yield

    g = unit()
    next(g)
    return MARK


def preempt(spin_ns, s):
    def spinner():
        st = time.perf_counter_ns()
        while time.perf_counter_ns() - st < spin_ns:
            pass
        yield

    def probe():
        yield

    t = time.perf_counter_ns()
    sp, pr = spinner(), probe()
    next(sp)  # round-robin: the spinner was made runnable first
    next(pr)
    s["spin_ns"] = float(spin_ns)
    s["spinners"] = 1
    s["probe_latency_ns"] = float(time.perf_counter_ns() - t)


def cpu_work(iters):
    x = 0x9E3779B97F4A7C15
    for _ in range(iters):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
    return x


def calibrate(target_ns):
    iters = 10000
    while True:
        t = time.perf_counter_ns()
        cpu_work(iters)
        el = time.perf_counter_ns() - t
        if el >= 20_000_000:
            return max(CHUNKS, int(target_ns / (el / iters)))
        iters *= 4


def cpu_units(units, iters):
    def unit():
        for _ in range(CHUNKS):
            cpu_work(iters // CHUNKS)
            yield

    gens = [unit() for _ in range(units)]
    cpu = time.process_time_ns()
    t = time.perf_counter_ns()
    while gens:
        for g in list(gens):
            try:
                next(g)
            except StopIteration:
                gens.remove(g)
    return float(time.perf_counter_ns() - t), float(time.process_time_ns() - cpu)


def positive(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError("must be positive")
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["memory", "rest"], default="rest")
    p.add_argument("--count", type=positive, default=20000)
    p.add_argument("--create", type=positive, default=100000)
    p.add_argument("--switch", type=positive, default=300000)
    p.add_argument("--reps", type=positive, default=3)
    p.add_argument("--spin-ms", type=positive, default=200)
    p.add_argument("--work-ms", type=positive, default=60)
    p.add_argument("--tid-units", type=positive, default=8)
    a = p.parse_args()  # exits with status 2 on a usage error
    s = {k: [] for k in ("memory_bytes", "virtual_bytes", "create_ns", "switch_ns",
                         "unit_tids", "one_ns", "two_ns", "two_cpu_ns", "notes")}
    s.update(creator_tid=0, written=0, seen=0, spin_ns=0.0, spinners=0, probe_latency_ns=0.0)
    if a.part == "memory":
        memory(a.count, s)
    else:
        for _ in range(a.reps):
            s["create_ns"].append(create_ns(a.create))
            s["switch_ns"].append(switch_ns(a.switch))
        tids(a.tid_units, s)
        s["written"] = 0x5EED0000 + 42
        s["seen"] = address(s["written"])
        preempt(a.spin_ms * 1_000_000, s)
        iters = calibrate(a.work_ms * 1_000_000)
        for _ in range(a.reps):
            s["one_ns"].append(cpu_units(1, iters)[0])
            wall, cpu = cpu_units(2, iters)
            s["two_ns"].append(wall)
            s["two_cpu_ns"].append(cpu)
    print(json.dumps(s))


if __name__ == "__main__":
    main()
