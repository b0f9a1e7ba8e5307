# The project's own copy of the article's log-analysis pipeline (broadcast -> map_ -> reduce_), run
# by the pipeline benchmark on the same generated log as the Rust pipelines. Like the article it
# matches with startswith (the Rust pipelines match the first field exactly). It times itself with
# perf_counter and prints "ELAPSED_NS LINES" then the counts, so interpreter start-up is not counted
# against Python. Usage: pipeline.py [--in-memory] LOG [IP ...]. By default it streams the file and
# times the whole flow (open, send every line, close); with --in-memory it first reads every line
# (the article's fp.readlines()) and times only sending them through the flow and closing it.
import sys
import time


def coroutine(f):
    def decorator(*args, **kwargs):
        co = f(*args, **kwargs)
        co.send(None)
        return co
    return decorator


@coroutine
def broadcast(targets):
    try:
        while 1:
            data = yield
            for target in targets:
                target.send(data)
    except GeneratorExit:
        for target in targets:
            target.close()


@coroutine
def map_(ip, next_):
    try:
        while 1:
            data = yield
            if data.startswith(ip):
                next_.send(ip)
    except GeneratorExit:
        next_.close()


@coroutine
def reduce_(on_done):
    m = {}
    try:
        while 1:
            data = yield
            if data not in m:
                m[data] = 1
            else:
                m[data] += 1
    except GeneratorExit:
        on_done(m)


def main():
    args = sys.argv[1:]
    in_memory = args[:1] == ['--in-memory']
    if in_memory:
        args = args[1:]
    path, addresses = args[0], args[1:] or ['83.149.9.216', '93.114.45.13', '207.241.237.101']
    result = {}

    def on_done(r):
        result.update(r)

    lines = 0
    if in_memory:
        with open(path, 'rb') as fp:
            all_lines = fp.readlines()
        start = time.perf_counter_ns()
        reducer = reduce_(on_done)
        flow = broadcast([map_(ip.encode(), reducer) for ip in addresses])
        for line in all_lines:
            flow.send(line)
        lines = len(all_lines)
    else:
        start = time.perf_counter_ns()
        reducer = reduce_(on_done)
        flow = broadcast([map_(ip.encode(), reducer) for ip in addresses])
        with open(path, 'rb') as fp:
            for line in fp:
                flow.send(line)
                lines += 1
    flow.close()
    elapsed = time.perf_counter_ns() - start
    print(elapsed, lines)
    print({ip.decode(): n for ip, n in result.items()})


main()
