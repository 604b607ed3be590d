import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BaseManager, Queue, silentLogger } from '../../node/index.js';
import { checkTranscript, type Jobs } from '../../shared/example.js';
import { startSignal } from '../support/cli-signal.js';
import { killAll, peerproc, seedMasterArgs } from '../support/processes.js';

afterEach(() => killAll());

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('restarts', () => {
  it('a worker survives its master being killed and serves the next master', async () => {
    const { base } = await startSignal();
    const address = `${base}/jobs`;
    const first = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '50', '--min-workers', '1']);
    const worker = peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.05', '--idle', '2']);
    await first.waitForLine(/^Result: /);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '5', '--timeout', '20']);
    expect(await second.exited).toBe(0);
    expect(checkTranscript(second.stdout).results).toHaveLength(5);
    expect(await worker.exited).toBe(0);
    expect(worker.stderr.join('\n')).toMatch(/lost the master .*waiting for it to come back/);
    expect(worker.stdout).toContain('reconnected to the master.');
    expect(worker.stdout.at(-1)).toBe('worker exit.');
  });

  it('keeps running work through a signaling server restart, and takes new workers after it', async () => {
    const port = await freePort();
    const { run: firstSignal, base } = await startSignal({ port });
    const address = `${base}/jobs`;
    const master = peerproc(seedMasterArgs(address, 'abc', 80, ['--min-workers', '1']));
    const early = peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.05']);
    await master.waitForLine(/^Result: /);
    firstSignal.child.kill('SIGKILL');
    await firstSignal.exited;
    // With the server down, results keep coming over the established peer connection.
    const before = master.stdout.filter((l) => l.startsWith('Result: ')).length;
    await new Promise((r) => setTimeout(r, 500));
    expect(master.stdout.filter((l) => l.startsWith('Result: ')).length).toBeGreaterThan(before);
    await startSignal({ port });
    const late = peerproc(['worker', '--address', address, '--authkey', 'abc', '--work', '0.05']);
    expect(await master.exited).toBe(0);
    expect(checkTranscript(master.stdout).results).toHaveLength(80);
    expect(await early.exited).toBe(0);
    expect(await late.exited).toBe(0);
    // The late worker joined through the restarted server (the early one may have had all tasks by then).
    expect(master.stderr.filter((l) => /^worker \w+ connected/.test(l))).toHaveLength(2);
  });

  it('shutdown tells workers blocked in get(), which exit cleanly', async () => {
    const { base } = await startSignal();
    const address = `${base}/idle`;
    const master = new BaseManager<Jobs>({ address, authkey: 'abc', logger: silentLogger });
    master.register('get_task_queue', () => new Queue<number>());
    master.register('get_result_queue', () => new Queue<string>());
    let connected = 0;
    const both = new Promise<void>((resolve) =>
      master.on((e) => {
        if (e.type === 'worker-authenticated' && ++connected === 2) resolve();
      }),
    );
    await master.start();
    const workers = [0, 1].map(() => peerproc(['worker', '--address', address, '--authkey', 'abc', '--idle', '60']));
    await both;
    await new Promise((r) => setTimeout(r, 200)); // both are now blocked in get(timeout=60)
    await master.shutdown();
    for (const w of workers) {
      expect(await w.exited).toBe(0);
      expect(w.stdout).toContain('the master ended the session: master shut down.');
      expect(w.stdout.at(-1)).toBe('worker exit.');
    }
  });
});
