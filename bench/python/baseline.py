#!/usr/bin/env python3
"""CPython's multiprocessing.managers on the benchmark's workload (stdlib only).

The classic distributed-process example, measured: a master starts a
BaseManager serving a task queue and a result queue on a free loopback port,
W worker processes connect() to it and turn each integer n into the string
'n * n = n²', and the master checks every result.

  python3 bench/python/baseline.py throughput --workers 2 --tasks 10000
  python3 bench/python/baseline.py probe --calls 3000 --payload-mib 16

Prints one JSON object on stdout (progress and errors go to stderr):
  throughput: tasks/s from the first put to the last result, each worker's
              connect time (connect() plus its two proxies), RSS
  probe:      one worker's proxy put() round trip (p50/p99 over --calls calls),
              a --payload-mib bytes payload put (worker -> manager) and get
              (manager -> worker) through queue proxies, in MB/s, RSS

Exit status: 0 when every result was checked, 1 otherwise.
"""

import argparse
import json
import os
import platform
import queue
import random
import re
import subprocess
import sys
import time
from multiprocessing.managers import BaseManager

#: The authkey travels to the worker processes through the environment, never argv.
AUTHKEY_ENV = 'PEERPROC_BENCH_AUTHKEY'
#: Longest wait for one result; a stuck run fails instead of hanging.
RESULT_TIMEOUT_S = 60
#: A worker leaves after this long with an empty queue once it has done work (the classic loop's timeout=1).
IDLE_S = 1
#: A worker that never got a task gives up after this long (others may still be connecting).
FIRST_TASK_WAIT_S = 60
#: Calls made before the timed ones, so the figures are for a warm connection.
WARMUP_CALLS = 200

RESULT = re.compile(r'^(\d+) \* (\d+) = (\d+)$')

_queues = {
    'task': queue.Queue(),
    'result': queue.Queue(),
    'rpc': queue.Queue(),
    'payload_up': queue.Queue(),
    'payload_down': queue.Queue(),
}


# Module-level callables (not lambdas): they must survive every start method.
def get_task_queue():
    return _queues['task']


def get_result_queue():
    return _queues['result']


def get_rpc_queue():
    return _queues['rpc']


def get_payload_up():
    return _queues['payload_up']


def get_payload_down():
    return _queues['payload_down']


class QueueManager(BaseManager):
    pass


def register_all(serve):
    for fn in (get_task_queue, get_result_queue, get_rpc_queue, get_payload_up, get_payload_down):
        if serve:
            QueueManager.register(fn.__name__, callable=fn)
        else:
            QueueManager.register(fn.__name__)


def rss_mb(pid='self'):
    """Resident set size of a process in MB (Linux /proc), or None elsewhere."""
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[index]


def log(message):
    print(f'baseline.py: {message}', file=sys.stderr, flush=True)


def payload_bytes(size):
    """A deterministic, non-trivial payload (not all zeros, so nothing can shortcut it)."""
    pattern = bytes(range(256))
    return (pattern * (size // 256 + 1))[:size]


# ---------------------------------------------------------------------------------------------------------------
# Worker processes


def connect_worker(port):
    register_all(serve=False)
    started = time.perf_counter()
    manager = QueueManager(address=('127.0.0.1', port), authkey=os.environb[AUTHKEY_ENV.encode()])
    manager.connect()
    task = manager.get_task_queue()
    result = manager.get_result_queue()
    connect_ms = (time.perf_counter() - started) * 1000
    return manager, task, result, connect_ms


def worker_loop(port):
    """The classic task_worker.py loop, silent."""
    manager, task, result, connect_ms = connect_worker(port)
    print(json.dumps({'ready': True, 'connect_ms': connect_ms}), flush=True)
    done = 0
    while True:
        try:
            n = task.get(timeout=IDLE_S if done else FIRST_TASK_WAIT_S)
        except queue.Empty:
            break
        except (EOFError, ConnectionError):
            break  # the master shut down
        result.put('%d * %d = %d' % (n, n, n * n))
        done += 1
    print(json.dumps({'done': done, 'connect_ms': connect_ms, 'rss_mb': rss_mb()}), flush=True)


def worker_probe(port, calls):
    manager, task, result, connect_ms = connect_worker(port)
    rpc = manager.get_rpc_queue()
    for i in range(WARMUP_CALLS):
        rpc.put(i)
    samples = []
    for i in range(calls):
        t0 = time.perf_counter_ns()
        rpc.put(i)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    samples.sort()
    out = {
        'connect_ms': connect_ms,
        'rpc_put_us': {'p50': percentile(samples, 50), 'p99': percentile(samples, 99), 'calls': calls},
    }
    down = manager.get_payload_down()
    up = manager.get_payload_up()
    t0 = time.perf_counter()
    data = down.get(timeout=RESULT_TIMEOUT_S)
    get_s = time.perf_counter() - t0
    if data != payload_bytes(len(data)):
        raise SystemExit('payload_down arrived corrupted')
    t0 = time.perf_counter()
    up.put(data)
    put_s = time.perf_counter() - t0
    out['payload'] = {'bytes': len(data), 'put_s': put_s, 'get_s': get_s}
    out['rss_mb'] = rss_mb()
    print(json.dumps(out), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Master


def start_master():
    register_all(serve=True)
    manager = QueueManager(address=('127.0.0.1', 0), authkey=os.environb[AUTHKEY_ENV.encode()])
    manager.start()
    return manager


def spawn_worker(port, mode, extra=()):
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), mode, '--port', str(port), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )


def read_json_line(proc, what):
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f'{what}: worker exited without reporting (exit {proc.wait()})')
    return json.loads(line)


def run_throughput(workers, tasks):
    manager = start_master()
    try:
        port = manager.address[1]
        task = manager.get_task_queue()
        result = manager.get_result_queue()
        procs = [spawn_worker(port, 'worker') for _ in range(workers)]
        ready = [read_json_line(p, 'ready') for p in procs]
        numbers = [random.randint(0, 10000) for _ in range(tasks)]
        expected = {}
        for n in numbers:
            expected[n] = expected.get(n, 0) + 1

        started = time.perf_counter()
        for n in numbers:
            task.put(n)
        results = [result.get(timeout=RESULT_TIMEOUT_S) for _ in range(tasks)]
        seconds = time.perf_counter() - started

        bad = 0
        for text in results:
            m = RESULT.match(text)
            if not m or m.group(1) != m.group(2) or int(m.group(3)) != int(m.group(1)) ** 2:
                bad += 1
                continue
            n = int(m.group(1))
            if expected.get(n, 0) <= 0:
                bad += 1
            else:
                expected[n] -= 1
        finals = []
        for p in procs:
            out, _ = p.communicate(timeout=FIRST_TASK_WAIT_S + 10)
            finals.append(json.loads(out.strip().splitlines()[-1]))
        report = {
            'mode': 'throughput',
            'workers': workers,
            'tasks': tasks,
            'seconds': seconds,
            'tasks_per_s': tasks / seconds,
            'checked': tasks - bad,
            'bad': bad,
            'per_worker_done': [f['done'] for f in finals],
            'connect_ms': [r['connect_ms'] for r in ready],
            'rss_mb': {
                'master': rss_mb(),
                'server': rss_mb(manager._process.pid),
                'worker': max((f['rss_mb'] or 0) for f in finals),
            },
        }
        return report
    finally:
        manager.shutdown()


def run_probe(calls, payload_mib):
    manager = start_master()
    try:
        port = manager.address[1]
        size = int(payload_mib * 1024 * 1024)
        data = payload_bytes(size)
        manager.get_payload_down().put(data)
        proc = spawn_worker(port, 'worker-probe', ['--calls', str(calls)])
        out, _ = proc.communicate(timeout=RESULT_TIMEOUT_S * 3)
        if proc.returncode != 0:
            raise SystemExit(f'probe worker failed (exit {proc.returncode})')
        report = json.loads(out.strip().splitlines()[-1])
        up = manager.get_payload_up()
        t0 = time.perf_counter()
        back = up.get(timeout=RESULT_TIMEOUT_S)
        report['payload']['master_get_s'] = time.perf_counter() - t0
        report['payload']['ok'] = back == data
        mb = size / 1e6
        report['payload']['put_MBps'] = mb / report['payload']['put_s']
        report['payload']['get_MBps'] = mb / report['payload']['get_s']
        report['mode'] = 'probe'
        report['rss_mb'] = {
            'master': rss_mb(),
            'server': rss_mb(manager._process.pid),
            'worker': report.pop('rss_mb'),
        }
        report['checked'] = 1 if report['payload']['ok'] else 0
        report['bad'] = 0 if report['payload']['ok'] else 1
        return report
    finally:
        manager.shutdown()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    t = sub.add_parser('throughput')
    t.add_argument('--workers', type=int, default=1)
    t.add_argument('--tasks', type=int, default=10000)
    p = sub.add_parser('probe')
    p.add_argument('--calls', type=int, default=3000)
    p.add_argument('--payload-mib', type=float, default=16)
    w = sub.add_parser('worker')
    w.add_argument('--port', type=int, required=True)
    wp = sub.add_parser('worker-probe')
    wp.add_argument('--port', type=int, required=True)
    wp.add_argument('--calls', type=int, default=3000)
    args = parser.parse_args()

    if AUTHKEY_ENV not in os.environ:
        os.environ[AUTHKEY_ENV] = os.urandom(16).hex()
    if args.mode == 'worker':
        worker_loop(args.port)
        return 0
    if args.mode == 'worker-probe':
        worker_probe(args.port, args.calls)
        return 0
    report = run_throughput(args.workers, args.tasks) if args.mode == 'throughput' else run_probe(
        args.calls, args.payload_mib
    )
    report['python'] = platform.python_version()
    print(json.dumps(report), flush=True)
    return 0 if report['bad'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
