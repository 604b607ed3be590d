/**
 * NAT traversal, for real: a master and a worker in two private networks
 * behind a NAT router, with no route to each other, meet through the
 * signaling server and connect through a real TURN server (coturn) with the
 * ephemeral credentials the signaling server hands out. Without TURN the
 * worker gives up within --wait with an error that names ICE.
 *
 * The network is scripts/nat-lab.sh (see docs/nat.md):
 *   a 10.1.0.2 (master) --+
 *                         +-- cgnat 100.64.0.2 (masquerade) -- public 100.64.0.1 (signaling, coturn)
 *   b 10.2.0.2 (worker) --+
 * Every namespace counts packets to anything outside 10/8, 100.64/10 and
 * 127/8; the last test checks that all those counters are 0.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTranscript, seedMasterArgs } from '../support/processes.js';
import { type LabProcess, NatLab } from './lab.js';

const PUBLIC = '100.64.0.1';
const NAT_PUBLIC = '100.64.0.2';
const TURN_PORT = 3478;
const TURN_SECRET = randomBytes(16).toString('hex');
const AUTHKEY = 'nat-lab-key';
const NO_TURN_WAIT_SECONDS = 15;
/** The worker's exit after its --wait is over (its clock starts by its first line). */
const EXIT_SLACK_MS = 1_000;

let dir: string;
let natLab: NatLab | undefined;

function lab(): NatLab {
  if (!natLab) throw new Error('the NAT lab is not up (see beforeAll)');
  return natLab;
}

/** coturn with TURN REST API credentials, relaying only between its own relay addresses. */
function startTurn(): LabProcess {
  return lab().spawn('public', 'turnserver', [
    '-n', // no configuration file
    `--listening-ip=${PUBLIC}`,
    `--relay-ip=${PUBLIC}`,
    `--listening-port=${TURN_PORT}`,
    '--min-port=49152',
    '--max-port=49215',
    '--use-auth-secret',
    `--static-auth-secret=${TURN_SECRET}`,
    '--realm=peerproc.lab',
    '--fingerprint',
    '--no-tls',
    '--no-dtls',
    '--no-tcp',
    '--no-tcp-relay',
    '--no-cli',
    '--no-software-attribute',
    // Peers may only be coturn's own relays: the lab has no route to anything else, and coturn
    // ends an allocation whose relay gets "network unreachable" sending to a private address.
    '--denied-peer-ip=0.0.0.0-255.255.255.255',
    `--allowed-peer-ip=${PUBLIC}`,
    '--log-file=stdout',
    '--simple-log',
    '--verbose',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ]);
}

/** A signaling server in the public namespace; resolves with its ws:// base URL. */
async function startSignaling(extra: string[]): Promise<{ server: LabProcess; base: string }> {
  const server = lab().peerproc('public', ['signal', '--host', PUBLIC, '--port', '0', ...extra]);
  const line = await server.waitFor('stdout', /listening on ws:\/\/[\d.]+:\d+/);
  return { server, base: /(ws:\/\/[\d.]+:\d+)/.exec(line.text)?.[1] as string };
}

/**
 * The master's view of a worker frozen by libdatachannel's DTLS deadlock (node-datachannel 0.33.4,
 * about 1 TURN connection in 100 here): ICE connected, then no DTLS handshake until the timeout.
 */
const DTLS_DEADLOCK =
  /dropped before authenticating: peer connection not established within \d+ ms \(ICE state: connected\)/;

/** The signaling server's JSON log lines with a given msg. */
function logEntries(server: LabProcess, msg: string): Array<Record<string, unknown>> {
  return server.stderr.flatMap((l) => {
    try {
      const entry = JSON.parse(l.text) as Record<string, unknown>;
      return entry.msg === msg ? [entry] : [];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  if (process.env.PEERPROC_IN_NETNS !== '1') {
    throw new Error('The NAT test builds network namespaces: run it inside scripts/netns.sh (npm test does).');
  }
  dir = await mkdtemp(join(tmpdir(), 'peerproc-nat-'));
  natLab = await NatLab.start(join(dir, 'lab'));
});

afterAll(async () => {
  await natLab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('NAT traversal (network namespaces, coturn)', () => {
  it('connects a master and a worker behind NAT through TURN, relay <-> relay, and completes the example', async () => {
    const turn = startTurn();
    await turn.waitFor(
      'stdout',
      new RegExp(`UDP listener opened on ?: ?${PUBLIC.replaceAll('.', '\\.')}:${TURN_PORT}`),
    );
    const { server, base } = await startSignaling([
      '--turn-secret',
      TURN_SECRET,
      '--turn-urls',
      `turn:${PUBLIC}:${TURN_PORT}`,
      '--turn-ttl',
      '600',
    ]);

    // One master in a, one worker in b, in a room of their own; resolves once the master says how it went.
    const runExample = async (room: string) => {
      const address = `${base}/${room}`;
      const master = lab().peerproc('a', seedMasterArgs(address, AUTHKEY, 10, ['--min-workers', '1']));
      await master.waitFor('stderr', /^waiting for 1 worker/);
      const worker = lab().peerproc('b', ['worker', '--address', address, '--authkey', AUTHKEY, '--wait', '20']);
      const outcome = await master.waitFor(
        'stderr',
        new RegExp(`^worker \\S+ connected|${DTLS_DEADLOCK.source}`),
        25_000,
      );
      return { room, master, worker, outcome };
    };
    let run = await runExample('nat');
    if (DTLS_DEADLOCK.test(run.outcome.text)) {
      // The known libdatachannel deadlock (docs/nat.md#known-issue): the worker is frozen for good.
      console.warn(`NAT/TURN: libdatachannel DTLS deadlock in the worker (${run.outcome.text}); one more try`);
      run.worker.kill();
      run.master.kill();
      run = await runExample('nat-again');
    }
    const { master, worker, outcome: connected } = run;
    const started = await worker.waitFor('stdout', /^Connect to server /);

    expect(await master.exited, master.text()).toBe(0);
    expect(await worker.exited, worker.text()).toBe(0);
    expect(checkTranscript(master.stdout.map((l) => l.text)).tasks).toHaveLength(10);
    expect(worker.stdout.filter((l) => /^run task \d+ \* \d+\.\.\.$/.test(l.text))).toHaveLength(10);
    // The selected candidate pair: both ends relayed by coturn.
    expect(connected.text).toMatch(/ connected \(path: relay <-> relay\)$/);

    // Both peers reached the public side through the NAT (the server saw only the router's address)...
    const registered = logEntries(server, 'registered').filter((e) => e.room === run.room);
    expect(registered.map((e) => [e.role, e.ip]).sort()).toEqual([
      ['master', NAT_PUBLIC],
      ['worker', NAT_PUBLIC],
    ]);
    // ...and coturn allocated relays for both with the ephemeral TURN REST API usernames (expiry:peer id).
    const allocations = turn.stdout.filter((l) => /ALLOCATE processed, success/.test(l.text));
    const users = new Set(allocations.map((l) => /user <([^>]+)>/.exec(l.text)?.[1]));
    expect([...users].every((u) => /^\d{10}:[0-9a-f]+$/.test(u ?? ''))).toBe(true);
    expect(users.size).toBeGreaterThanOrEqual(2);

    const timing = {
      workerSpawnToAuthenticatedMs: Math.round(connected.at - worker.startedAt),
      workerStartToAuthenticatedMs: Math.round(connected.at - started.at),
      workerRunMs: Math.round(worker.runMs ?? 0),
      path: 'relay <-> relay',
    };
    console.log(
      `NAT/TURN: worker process spawn -> authenticated ${timing.workerSpawnToAuthenticatedMs} ms ` +
        `(from its "Connect to server" line: ${timing.workerStartToAuthenticatedMs} ms); ` +
        `whole worker run (10 tasks) ${timing.workerRunMs} ms`,
    );
    mkdirSync('test-artifacts', { recursive: true });
    writeFileSync('test-artifacts/nat.json', `${JSON.stringify(timing, null, 2)}\n`);
    server.kill('SIGTERM');
    turn.kill();
  });

  it('without TURN, the worker gives up within --wait with an error naming ICE, and does not hang', async () => {
    const { server, base } = await startSignaling([]);
    const address = `${base}/nat-no-turn`;
    const master = lab().peerproc('a', [
      'master',
      '--address',
      address,
      '--authkey',
      AUTHKEY,
      '--min-workers',
      '1',
      '--wait',
      String(NO_TURN_WAIT_SECONDS + 10),
    ]);
    await master.waitFor('stderr', /^waiting for 1 worker/);
    const worker = lab().peerproc('b', [
      'worker',
      '--address',
      address,
      '--authkey',
      AUTHKEY,
      '--wait',
      String(NO_TURN_WAIT_SECONDS),
    ]);

    const started = await worker.waitFor('stdout', /^Connect to server /);
    const code = await worker.exited;
    const stderr = worker.text();
    const waitedMs = Math.round((worker.exitedAt ?? Number.NaN) - started.at);
    console.log(`no TURN: worker exited ${code} ${waitedMs} ms after its start: ${stderr}`);
    expect(code).toBe(1);
    // It kept trying for its whole --wait (a first ICE timeout, then a retry until the deadline)...
    expect(waitedMs).toBeGreaterThan((NO_TURN_WAIT_SECONDS - 1) * 1000);
    // ...and not longer.
    expect(waitedMs).toBeLessThan(NO_TURN_WAIT_SECONDS * 1000 + EXIT_SLACK_MS);
    expect(stderr).toMatch(/ConnectTimeoutError: no master reachable at .* within 15 s/);
    expect(stderr).toMatch(/ICE/);
    expect(stderr).toMatch(/no network path/);
    expect(stderr).toMatch(/TURN/);
    // The master is unharmed: it keeps waiting for workers that can reach it.
    expect(master.child.exitCode).toBeNull();
    master.kill('SIGTERM');
    server.kill('SIGTERM');
  });

  it('sent no packet outside the lab ranges (every nftables guard counter is 0)', async () => {
    const counters = await lab().guards();
    expect(Object.keys(counters).sort()).toEqual([
      'a/escaped',
      'b/escaped',
      'cgnat/escaped',
      'cgnat/escaped_forward',
      'cgnat/isolated',
      'public/escaped',
    ]);
    for (const [name, packets] of Object.entries(counters)) expect(packets, name).toBe(0);
  });
});
