/**
 * The CLI as users run it: compiled with signaling/tsconfig.standalone.json
 * (only signaling/ and shared/, into test-artifacts/ so node_modules resolves
 * and the rest of the repository need not build), then spawned.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/redis.js';
import { TestClient } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let outDir: string;
let mainJs: string;

beforeAll(async () => {
  await mkdir(join(ROOT, 'test-artifacts'), { recursive: true });
  outDir = await mkdtemp(join(ROOT, 'test-artifacts', 'signaling-cli-'));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const project = join(ROOT, 'signaling', 'tsconfig.standalone.json');
  await promisify(execFile)(process.execPath, [tsc, '-p', project, '--outDir', outDir], { cwd: ROOT });
  mainJs = join(outDir, 'signaling', 'main.js');
});

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [mainJs, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  }) as ChildProcessWithoutNullStreams;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  return { child, exited, firstLine, stderr: () => stderr };
}

describe('peerproc signal (spawned)', () => {
  it('prints the listening URL, serves, and exits 0 on SIGTERM after telling clients', async () => {
    const cli = run(['--host', '127.0.0.1', '--log-level', 'silent'], { PEERPROC_SIGNAL_PORT: '0' });
    const line = await cli.firstLine;
    const match = /^peerproc signaling server listening on (ws:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(match, line).not.toBeNull();
    expect(Number(match?.[2])).toBeGreaterThan(0);

    const client = await TestClient.connect(`${match?.[1]}/cli-room`);
    expect((await client.request({ type: 'register', role: 'master' })).type).toBe('registered');
    cli.child.kill('SIGTERM');
    expect(await client.next()).toMatchObject({ type: 'error', code: 'SHUTTING_DOWN' });
    expect((await client.closed).code).toBe(1001);
    expect(await cli.exited).toBe(0);
  });

  it('logs JSON to stderr, never the token', async () => {
    const token = 'cli-token-0123456789';
    const cli = run(['--port', '0'], { PEERPROC_ACCESS_TOKEN: token });
    const url = (await cli.firstLine).split(' ').pop() as string;
    const client = await TestClient.connect(`${url}/room?token=${token}`);
    expect((await client.request({ type: 'register', role: 'worker' })).type).toBe('registered');
    await client.close();
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    const lines = cli.stderr().trim().split('\n');
    expect(lines.map((text) => (JSON.parse(text) as { msg: string }).msg)).toEqual(
      expect.arrayContaining(['listening', 'connection opened', 'registered', 'connection closed', 'stopped']),
    );
    expect(cli.stderr()).not.toContain(token);
  });

  it('exits 2 with a message naming the bad option', async () => {
    const cli = run(['--port', 'eighty']);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toBe('peerproc signal: Expected --port to be an integer, got "eighty"\n');
  });

  it('cluster mode: exits 2 naming --redis for a bad URL, and 1 when Redis cannot be reached, never showing the password', async () => {
    const bad = run(['--port', '0', '--redis', 'http://127.0.0.1:6379']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/^peerproc signal: Expected --redis to be a redis:\/\/ or rediss:\/\/ URL/);
    const nobody = await freePort();
    const unreachable = run(['--port', '0', '--log-level', 'silent'], {
      PEERPROC_SIGNAL_REDIS: `redis://:pw-never-shown@127.0.0.1:${nobody}`,
    });
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.stderr()).toMatch(/cannot reach Redis at redis:\/\/:REDACTED@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(unreachable.stderr()).not.toContain('pw-never-shown');
  });
});
