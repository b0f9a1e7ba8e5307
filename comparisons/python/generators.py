"""Python-generator row of the coroutine-lab comparison.

Measures generators (the article's own coroutines) on this machine and prints the same JSON the
Rust rows produce (see comparisons/src/samples.rs and rows/mod.rs).

    python3 generators.py --part memory --count N      one memory repetition (run in a fresh process)
    python3 generators.py --part timing --reps R --create N --create-batch B --switch N --switch-batch B --warmup W --budget-ms T
    python3 generators.py --part properties --reps R --spin-ms S --work-ms W --units U
    python3 generators.py --part ring --n N --reps R --min-handoffs H --budget-ms T --memory-budget B

Generators run on their creator's thread, one at a time: the timing part has one placement (the
caller pins this process to one CPU before starting it), and pre-emption and parallelism are "no"
by construction (the experiments still run, as a check of the harness).
"""
import argparse
import json
import os
import sys
import threading
import time

MASK = (1 << 64) - 1
CHUNKS = 16
MARK = 0


def kb_fields(path, *names):
    """Reads 'Name: N kB' lines of a /proc file into bytes."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].rstrip(":") in names and parts[0].endswith(":"):
                v = float(parts[1])
                out[parts[0][:-1]] = v * 1024 if len(parts) > 2 and parts[2] == "kB" else v
    missing = [n for n in names if n not in out]
    if missing:
        sys.exit("no %s line in %s" % (", ".join(missing), path))
    return out


def accumulator(seed):
    """The measured unit: keeps a running sum across suspensions, yielding it each time."""
    acc = seed
    while True:
        x = yield acc
        acc = (acc + (x or 0)) & MASK


def once(seed):
    """The unit of the creation figures: yields seed + 1 at its first suspension, then returns
    what it is resumed with."""
    r = yield (seed + 1) & MASK
    return r


def memory(count, s):
    units = [None] * count
    st0 = kb_fields("/proc/self/status", "VmRSS", "VmSize")
    k0 = kb_fields("/proc/meminfo", "KernelStack", "PageTables", "SUnreclaim")
    for i in range(count):
        g = accumulator(i)
        next(g)
        units[i] = g
    st1 = kb_fields("/proc/self/status", "VmRSS", "VmSize")
    k1 = kb_fields("/proc/meminfo", "KernelStack", "PageTables", "SUnreclaim")
    s["memory_bytes"].append((st1["VmRSS"] - st0["VmRSS"]) / count)
    s["virtual_bytes"].append((st1["VmSize"] - st0["VmSize"]) / count)
    s["kernel_stack_bytes"].append((k1["KernelStack"] - k0["KernelStack"]) / count)
    s["page_tables_bytes"].append((k1["PageTables"] - k0["PageTables"]) / count)
    s["slab_unreclaimable_bytes"].append((k1["SUnreclaim"] - k0["SUnreclaim"]) / count)
    s["object_bytes"].append(float(sys.getsizeof(units[0])))
    s["notes"].append(
        "sys.getsizeof(generator) = %d B (python %s)"
        % (sys.getsizeof(units[0]), sys.version.split()[0])
    )
    del units


def time_ops(reps, ops, batch, warmup, budget_ns, op):
    """Times op(n) in batches of `batch`: a warm-up, then `reps` repetitions of `ops` operations,
    each (and the warm-up) ending early at the first batch past `budget_ns`. Returns the same
    timing sample as comparisons/src/timing.rs."""
    batch = max(1, batch)
    clock = time.perf_counter_ns
    left, warm = warmup, clock()
    while left > 0 and clock() - warm < budget_ns:
        op(batch)
        left -= batch
    batches = max(1, ops // batch)
    entries, rep_means = [], []
    for _ in range(reps):
        start = prev = clock()
        done = 0
        while done < batches and prev - start < budget_ns:
            op(batch)
            now = clock()
            entries.append((now - prev) / batch)
            prev = now
            done += 1
        rep_means.append((prev - start) / (done * batch))
    entries.sort()

    def at(q):
        return entries[min(len(entries) - 1, int(q * len(entries)))]

    return {"reps_ns": rep_means, "p50_ns": at(0.5), "p99_ns": at(0.99),
            "entries": len(entries), "batch": batch}


def timing(a):
    budget = a.budget_ms * 1_000_000
    state = {"x": 1}

    def create(n):
        # created, run to its first suspension, resumed once so that it returns, freed
        x = state["x"]
        for _ in range(n):
            g = once(x)
            y = next(g)
            try:
                g.send(y)
            except StopIteration as end:
                x = end.value
        state["x"] = x

    g = accumulator(0)
    next(g)
    send = g.send

    def switch(n):
        x = state["x"]
        for _ in range(n):
            x = send(x)
        state["x"] = x

    return {
        "create": time_ops(a.reps, a.create, a.create_batch, a.create // 10, budget, create),
        "switch": time_ops(a.reps, a.switch, a.switch_batch, a.warmup, budget, switch),
    }


STOP = (1 << 64) - 1
RING_CHECK_EVERY = 256
MACHINE_FLOOR = 2 << 30


def counter(path, name):
    """The number after 'name ' on a line of a /proc file such as /proc/vmstat."""
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == name:
                return float(parts[1])
    sys.exit("no %s line in %s" % (name, path))


def held():
    """What system limits cap: this process's mappings, open files and threads."""
    with open("/proc/self/maps") as f:
        maps = sum(1 for _ in f)
    return float(maps), float(len(os.listdir("/proc/self/fd"))), float(threads())


def kernel_total():
    k = kb_fields("/proc/meminfo", "KernelStack", "PageTables", "SUnreclaim")
    return k["KernelStack"] + k["PageTables"] + k["SUnreclaim"]


def ring_unit(place, n):
    """A unit of the scaling ring: takes each token, yields the next one; on STOP returns its
    counts (visits, tokens out of turn)."""
    visits = errors = 0
    t = yield
    while t != STOP:
        visits += 1
        if t % n != place:
            errors += 1
        t = yield t + 1
    return visits, errors


def ring(a):
    """N generators resumed in ring order with the token, each yielding the next one; the driver
    starts and ends every lap (comparisons::ring)."""
    n = a.n
    out = {"n": n, "reps_ns": [], "laps": 0, "memory_bytes": 0.0, "kernel_bytes": 0.0,
           "visits_min": 0, "visits_max": 0, "units_counted": 0, "order_errors": 0,
           "faults_per_handoff": 0.0, "context_switches_per_handoff": 0.0,
           "maps_per_unit": 0.0, "maps_before": 0, "fds_per_unit": 0.0, "tasks_per_unit": 0.0,
           "made": 0}
    rss0 = kb_fields("/proc/self/status", "VmRSS")["VmRSS"]
    k0 = kernel_total()
    maps0, fds0, tasks0 = held()
    out["maps_before"] = int(maps0)
    avail0 = kb_fields("/proc/meminfo", "MemAvailable")["MemAvailable"]
    units = []
    for place in range(n):
        g = ring_unit(place, n)
        next(g)
        units.append(g)
        made = place + 1
        if made % RING_CHECK_EVERY == 0:
            # this process's growth is exact; the machine's available memory is updated lazily
            now = kb_fields("/proc/meminfo", "MemAvailable")["MemAvailable"]
            used = max(avail0 - now, kb_fields("/proc/self/status", "VmRSS")["VmRSS"] - rss0)
            why = None
            if used > a.memory_budget:
                why = ("memory budget: after %d units they took %.0f MiB, over the budget of "
                       "%.0f MiB (--max-memory)"
                       % (made, used / (1 << 20), a.memory_budget / (1 << 20)))
            elif now < MACHINE_FLOOR:
                why = "machine memory: after %d units only %.0f MiB was available" % (
                    made, now / (1 << 20))
            if why:
                out.update(stopped=why, made=made)
                return out

    def lap(t):
        for g in units:
            t = g.send(t)
        return t

    token = lap(0)
    out["laps"] = 1
    rss1 = kb_fields("/proc/self/status", "VmRSS")["VmRSS"]
    k1 = kernel_total()
    maps1, fds1, tasks1 = held()
    out["memory_bytes"] = (rss1 - rss0) / n
    out["kernel_bytes"] = (k1 - k0) / n
    out["maps_per_unit"] = (maps1 - maps0) / n
    out["fds_per_unit"] = (fds1 - fds0) / n
    out["tasks_per_unit"] = (tasks1 - tasks0) / n
    f0, s0 = counter("/proc/vmstat", "pgfault"), counter("/proc/stat", "ctxt")
    budget = a.budget_ms * 1_000_000
    timed = 0
    for _ in range(a.reps):
        start = time.perf_counter_ns()
        laps = 0
        while laps == 0 or (laps * n < a.min_handoffs and time.perf_counter_ns() - start < budget):
            token = lap(token)
            laps += 1
        out["reps_ns"].append((time.perf_counter_ns() - start) / (laps * n))
        out["laps"] += laps
        timed += laps * n
    f1, s1 = counter("/proc/vmstat", "pgfault"), counter("/proc/stat", "ctxt")
    out["faults_per_handoff"] = (f1 - f0) / timed
    out["context_switches_per_handoff"] = (s1 - s0) / timed
    visits = []
    for g in units:
        try:
            g.send(STOP)
            sys.exit("a ring unit went on after the stop token")
        except StopIteration as end:
            v, e = end.value
            visits.append(v)
            out["order_errors"] += e
    out["visits_min"], out["visits_max"] = min(visits), max(visits)
    out["units_counted"] = len(visits)
    out["made"] = n
    return out


def threads():
    return int(kb_fields("/proc/self/status", "Threads")["Threads"])


def managed(units):
    def unit():
        yield threading.get_native_id()

    before = threads()
    live, tids = [], []
    for _ in range(units):
        g = unit()
        tids.append(next(g))
        live.append(g)
    during = threads()
    return {"units": units, "threads_before": before, "threads_during": during,
            "children_before": 0, "children_during": 0,
            "creator_tid": threading.get_native_id(), "unit_tids": tids}


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


def preempt(spin_ns):
    """The spinner is resumed first and the probe is queued behind it, runnable from the moment
    the spinner starts."""
    times = {}

    def spinner():
        times["start"] = st = time.monotonic_ns()
        now = st
        while now - st < spin_ns:
            now = time.monotonic_ns()
        times["end"] = now
        yield

    def probe():
        times["ran"] = time.monotonic_ns()
        yield

    queue = [spinner(), probe()]
    while queue:
        for g in list(queue):
            try:
                next(g)
            except StopIteration:
                queue.remove(g)
    return {"spinners": 1, "spin_ns": float(spin_ns),
            "all_spinning": times["end"] > times["start"],
            "probe_ran_ns": float(times["ran"] - times["start"]),
            "first_spinner_done_ns": float(times["end"] - times["start"])}


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


def properties(a, s):
    s["scheduler"] = "caller-thread"
    s["workers"] = 1
    units = max(a.units, 4)
    s["managed"] = [managed(units) for _ in range(a.reps)]
    s["written"] = 0x5EED0000 + 42
    s["seen"] = address(s["written"])
    s["preempt"] = [preempt(a.spin_ms * 1_000_000) for _ in range(a.reps)]
    iters = calibrate(a.work_ms * 1_000_000)
    for _ in range(a.reps):
        s["one_ns"].append(cpu_units(1, iters)[0])
        wall, cpu = cpu_units(2, iters)
        s["two_ns"].append(wall)
        s["two_cpu_ns"].append(cpu)


def positive(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError("must be positive")
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["memory", "timing", "ring", "properties"], default="properties")
    p.add_argument("--count", type=positive, default=20000)
    p.add_argument("--placement", choices=["same-cpu"], default="same-cpu")
    p.add_argument("--cpus", default="-")
    p.add_argument("--create", type=positive, default=100000)
    p.add_argument("--create-batch", type=positive, default=100)
    p.add_argument("--switch", type=positive, default=300000)
    p.add_argument("--switch-batch", type=positive, default=1000)
    p.add_argument("--warmup", type=int, default=30000)
    p.add_argument("--budget-ms", type=positive, default=200)
    p.add_argument("--reps", type=positive, default=3)
    p.add_argument("--spin-ms", type=positive, default=100)
    p.add_argument("--work-ms", type=positive, default=40)
    p.add_argument("--units", type=positive, default=32)
    p.add_argument("--n", type=positive, default=10)
    p.add_argument("--min-handoffs", type=positive, default=10000)
    p.add_argument("--memory-budget", type=positive, default=4 << 30)
    a = p.parse_args()  # exits with status 2 on a usage error
    s = {k: [] for k in ("memory_bytes", "virtual_bytes", "object_bytes", "kernel_stack_bytes",
                         "page_tables_bytes", "slab_unreclaimable_bytes", "managed", "preempt",
                         "one_ns", "two_ns", "two_cpu_ns", "notes")}
    s.update(scheduler="caller-thread", workers=1, written=0, seen=0)
    if a.part == "memory":
        memory(a.count, s)
        out = s
    elif a.part == "timing":
        out = timing(a)
    elif a.part == "ring":
        out = ring(a)
    else:
        properties(a, s)
        out = s
    try:
        print(json.dumps(out))
    except BrokenPipeError:
        os._exit(1)


if __name__ == "__main__":
    main()
