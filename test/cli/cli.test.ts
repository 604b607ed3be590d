import { afterEach, describe, expect, it } from 'vitest';
import { startSignal } from '../support/cli-signal.js';
import { CLI, checkTranscript, collected, killAll, peerproc } from '../support/processes.js';

afterEach(() => killAll());

describe('peerproc CLI, as a user runs it', () => {
  it('runs the example in separate processes: master first, a worker started later', async () => {
    const signal = await startSignal();
    const { base } = signal;
    const address = `${base}/jobs`;
    const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '10']);
    await master.waitForLine(/^Try get results\.\.\.$/);
    const worker = peerproc(['worker', '--address', address], { PEERPROC_AUTHKEY: 'abc' });
    expect(await master.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    const { tasks } = checkTranscript(master.stdout);
    expect(tasks).toHaveLength(10);
    expect(tasks.every((n) => n >= 0 && n <= 10_000)).toBe(true);
    expect(worker.stdout[0]).toBe(`Connect to server ${address}...`);
    expect(worker.stdout.filter((l) => /^run task \d+ \* \d+\.\.\.$/.test(l))).toHaveLength(10);
    expect(worker.stdout.at(-1)).toBe('worker exit.');
    expect(master.stdout.at(-1)).toBe('master exit.');
    // A short key chosen by hand: one warning line, on stderr.
    expect(
      master.stderr.filter((l) => /warning: the authkey is only 3 byte\(s\) long and can be guessed online/.test(l)),
    ).toHaveLength(1);
    expect(await signal.stop()).toBe(0);
  });

  it('--min-workers 2 with default workers started 2.5 s apart: the first waits for its first task, both run tasks', async () => {
    const { base } = await startSignal();
    const address = `${base}/apart`;
    const master = peerproc([
      'master',
      '--address',
      address,
      '--authkey',
      'abc',
      '--tasks',
      '20',
      '--min-workers',
      '2',
    ]);
    const first = peerproc(['worker', '--address', address, '--authkey', 'abc']);
    await master.line(/^worker \w+ connected/, 'stderr');
    // Longer than the default --idle (1 s): before its first task a worker waits for the master (--wait, 30 s).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const second = peerproc(['worker', '--address', address, '--authkey', 'abc']);
    expect(await master.exited, master.stderr.join('\n')).toBe(0);
    expect(checkTranscript(master.stdout).results).toHaveLength(20);
    for (const worker of [first, second]) {
      expect(await worker.exited).toBe(0);
      expect(worker.stdout.filter((l) => l.startsWith('run task ')).length).toBeGreaterThan(0);
    }
  });

  it('ends the transcript before the summary when stdout and stderr share one terminal', async () => {
    const { base } = await startSignal();
    const address = `${base}/one-screen`;
    // 2>&1 as a shell user types it: one pipe, so the lines arrive in the order they were written.
    const master = collected('bash', [
      '-c',
      `exec "${process.execPath}" "${CLI}" master --address ${address} --authkey abc --tasks 3 --min-workers 1 2>&1`,
    ]);
    const worker = peerproc(['worker', '--address', address, '--authkey', 'abc']);
    expect(await master.exited, master.output()).toBe(0);
    expect(await worker.exited).toBe(0);
    const screen = master.stdout;
    const summary = screen.findIndex((line) => /^peerproc master: 3 of 3 results/.test(line));
    expect(summary, screen.join('\n')).toBeGreaterThan(screen.indexOf('master exit.'));
    const lastResult = screen.length - 1 - [...screen].reverse().findIndex((line) => line.startsWith('Result: '));
    expect(screen.indexOf('master exit.')).toBeGreaterThan(lastResult);
  });

  it('generates a strong key when none is given, printing a working worker link and command', async () => {
    const { base } = await startSignal();
    const address = `${base}/jobs`;
    const master = peerproc(['master', '--address', address, '--tasks', '10'], { PEERPROC_AUTHKEY: '' });
    const [, key] = await master.line(/^ {2}authkey: +([0-9a-f]{32})$/, 'stderr');
    const [, link] = await master.line(/^ {2}worker page: +(\S+)$/, 'stderr');
    const [, command] = await master.line(/^ {2}worker command: +(.+)$/, 'stderr');
    expect(link).toBe(`${base.replace(/^ws/, 'http')}/worker?room=jobs#authkey=${key}`);
    expect(command).toBe(`PEERPROC_AUTHKEY=${key} peerproc worker --address ${address}`);
    // The key is printed once, never on stdout (which keeps the seed transcript).
    expect(master.stdout.join('\n')).not.toContain(key);
    // The link serves the worker page (its fragment stays in the browser; the browser suite opens it).
    expect((await fetch(link.replace(/#.*/, ''))).status).toBe(200);
    // Run the printed command as a user would paste it: `VAR=value peerproc worker --address ...`.
    const [, envKey, workerAddress] = /^PEERPROC_AUTHKEY=(\S+) peerproc worker --address (\S+)$/.exec(command) ?? [];
    const worker = peerproc(['worker', '--address', workerAddress as string], { PEERPROC_AUTHKEY: envKey as string });
    expect(await worker.exited, worker.output()).toBe(0);
    expect(await master.exited, master.output()).toBe(0);
    expect(checkTranscript(master.stdout).results).toHaveLength(10);
    expect(master.stderr.filter((l) => l.includes(key))).toHaveLength(3);
  });

  it('fails a wrong-key worker with AuthenticationError while the master keeps serving', async () => {
    const { base } = await startSignal();
    const address = `${base}/jobs`;
    const master = peerproc(['master', '--address', address, '--authkey', 'abc', '--tasks', '5', '--min-workers', '1']);
    const wrong = peerproc(['worker', '--address', address, '--authkey', 'not-abc']);
    expect(await wrong.exited).not.toBe(0);
    expect(wrong.stderr.join('\n')).toMatch(/AuthenticationError: digest sent was rejected/);
    // The master logs the refusal once the refused worker has hung up (or after its refusal linger).
    await master.line(/failed authentication/, 'stderr', 10_000);
    const right = peerproc(['worker', '--address', address, '--authkey', 'abc']);
    expect(await right.exited).toBe(0);
    expect(await master.exited).toBe(0);
    expect(checkTranscript(master.stdout).results).toHaveLength(5);
  });

  it('exits non-zero with a clear message when results are missing', async () => {
    const { base } = await startSignal();
    const master = peerproc([
      'master',
      '--address',
      `${base}/lonely`,
      '--authkey',
      'abc',
      '--tasks',
      '1',
      '--timeout',
      '0.5',
    ]);
    expect(await master.exited).toBe(1);
    expect(master.stderr.join('\n')).toMatch(
      /nothing happened for 0\.5 s \(no result, no worker joining or leaving\): 1 task\(s\) queued.*got 0 of 1 results/,
    );
  });

  it('serves the built worker and master pages from the signaling port', async () => {
    const { base } = await startSignal();
    const http = base.replace(/^ws/, 'http');
    for (const page of ['worker', 'master']) {
      const response = await fetch(`${http}/${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toMatch(new RegExp(`<title>[^<]*${page}`, 'i'));
    }
  });

  it('rejects bad flags with exit code 2 and names them', async () => {
    const bad = peerproc(['master', '--address', 'http://x/y', '--authkey', 'k']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/address must use ws:\/\/ or wss:\/\//);
    const noKey = peerproc(['worker', '--address', 'ws://127.0.0.1:1/r']);
    expect(await noKey.exited).toBe(2);
    expect(noKey.stderr.join('\n')).toMatch(/--authkey is required \(or set PEERPROC_AUTHKEY\)/);
    const tasks = peerproc(['master', '--address', 'ws://127.0.0.1:1/r', '--authkey', 'k', '--tasks', 'many']);
    expect(await tasks.exited).toBe(2);
    expect(tasks.stderr.join('\n')).toMatch(/--tasks must be an integer/);
    const ack = peerproc(['master', '--address', 'ws://127.0.0.1:1/r', '--authkey', 'k', '--python-ack', 'never']);
    expect(await ack.exited).toBe(2);
    expect(ack.stderr.join('\n')).toMatch(/--python-ack must be one of lease, get, got "never"/);
    const globals = peerproc([
      'serve',
      '--python-listen',
      '127.0.0.1:0',
      '--authkey',
      'k',
      '--python-globals',
      'os.sys tem',
    ]);
    expect(await globals.exited).toBe(2);
    expect(globals.stderr.join('\n')).toMatch(
      /--python-globals takes module\.Name, module\.\* or \*, got "os\.sys tem"/,
    );
    const nothing = peerproc(['serve', '--authkey', 'k']);
    expect(await nothing.exited).toBe(2);
    expect(nothing.stderr.join('\n')).toMatch(/peerproc serve needs --address, --python-listen, or both/);
    const help = peerproc(['serve', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/SyncManager objects/);
  });

  it('runs the demo in one command', async () => {
    const demo = peerproc(['demo']);
    expect(await demo.exited).toBe(0);
    const masterLines = demo.stdout.filter((l) => l.startsWith('[master] ')).map((l) => l.slice(9));
    expect(checkTranscript(masterLines).results).toHaveLength(10);
    // --min-workers 2 waits until both workers ask for a task, so both get a part of the ten.
    for (const label of ['[worker 1]', '[worker 2]']) {
      expect(demo.stdout.filter((l) => l.startsWith(`${label} run task `)).length, label).toBeGreaterThan(0);
    }
    expect(demo.stdout.filter((l) => l === '[worker 1] worker exit.' || l === '[worker 2] worker exit.')).toHaveLength(
      2,
    );
    expect(demo.stdout.at(-1)).toBe('demo: all processes exited 0');
  });
});
