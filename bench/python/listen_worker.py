#!/usr/bin/env python3
"""The classic task_worker.py loop, timed, for the --python-listen benchmark.

  python3 bench/python/listen_worker.py PORT    (authkey in PEERPROC_BENCH_AUTHKEY)

Connects to a master at 127.0.0.1:PORT (a CPython master or
`peerproc master --python-listen`), prints `ready` and waits for a line on
stdin (so that every worker is connected before any starts: a fast one
could otherwise finish all the work while another is still connecting),
then turns each task n into 'n * n = n²' until the queue stays empty for a
second, and prints one JSON line: tasks done and the wall-clock times
(time.time()) of its first task and last result.
"""
import json, os, queue, sys, time
from multiprocessing.managers import BaseManager


class QueueManager(BaseManager):
    pass


QueueManager.register('get_task_queue')
QueueManager.register('get_result_queue')
m = QueueManager(address=('127.0.0.1', int(sys.argv[1])), authkey=os.environb[b'PEERPROC_BENCH_AUTHKEY'])
m.connect()
task = m.get_task_queue()
result = m.get_result_queue()
task.qsize()  # opens this thread's method-call connection before the start
print('ready', flush=True)
sys.stdin.readline()
done, first, last = 0, None, None
while True:
    try:
        n = task.get(timeout=1)
    except (queue.Empty, EOFError, ConnectionError):
        # queue.Empty: no more work; EOFError: a CPython master shut down after its last result.
        break
    if first is None:
        first = time.time()
    result.put('%d * %d = %d' % (n, n, n * n))
    last = time.time()
    done += 1
print(json.dumps({'done': done, 'first': first, 'last': last}), flush=True)
