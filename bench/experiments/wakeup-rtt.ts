/**
 * What a CPython client's round trip costs against servers that do nothing
 * (docs/performance.md, "Python listener"): a Node TCP echo that sleeps
 * between requests, the same echo keeping its loop polling for 0.2 ms after
 * each reply (as the Python listener does), and a Python echo process. The
 * client sends 60 bytes and reads them back, 20,000 times after 500 untimed.
 *
 *   node dist/bench/experiments/wakeup-rtt.js     (loopback only; python3 on PATH)
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { BusyPoll } from '../../node/python/busy-poll.js';
import { runCommand } from '../lib/children.js';
import { runExperiment } from '../lib/experiment.js';

const CLIENT = `
import socket, sys, time
c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msg = b'x' * 60
for _ in range(500): c.sendall(msg); c.recv(100)
n = 20000; s = time.perf_counter()
for _ in range(n): c.sendall(msg); c.recv(100)
print((time.perf_counter() - s) / n * 1e6)
`;
const PY_ECHO = `
import socket, sys
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(); print(srv.getsockname()[1], flush=True)
c, _ = srv.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    d = c.recv(65536)
    if not d: break
    c.sendall(d)
`;

function nodeEcho(pollMs: number): Promise<Server> {
  const poll = new BusyPoll(pollMs);
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => {
      socket.write(data);
      poll.kick();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The CPython client's µs per round trip against the echo on `port`. */
async function clientRtt(port: number): Promise<string> {
  const result = await runCommand('python3', ['-c', CLIENT, String(port)], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`the python3 client exited ${result.code}: ${result.stderr.trim()}`);
  return Number(result.stdout).toFixed(1);
}

async function main(): Promise<void> {
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) throw new Error('python3 is not on PATH');
  for (const [label, pollMs] of [
    ['Node echo, idle between requests', 0],
    ['Node echo, polling 0.2 ms after each reply', 0.2],
  ] as const) {
    const server = await nodeEcho(pollMs);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${label}: ${await clientRtt(port)} µs per round trip\n`);
    server.close();
  }
  const echo = spawn('python3', ['-c', PY_ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => echo.stdout.once('data', (d: Buffer) => resolve(Number(d))));
  process.stdout.write(`Python echo process: ${await clientRtt(port)} µs per round trip\n`);
  echo.kill();
}

runExperiment('wakeup-rtt', main);
