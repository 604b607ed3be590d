/**
 * Hostile input to PythonManagerServer's TCP listener: garbage, huge length
 * prefixes, truncated frames (before and after authentication), and pickles
 * that would run os.system in CPython. Bytes that are not a pickle are
 * refused and their connection closed with nothing sent back (no traceback);
 * a valid pickle that is refused (a call of os.system, a frame over the
 * limit) is answered with a RemoteError naming the refusal, as CPython
 * answers what it cannot unpickle, and nothing in it runs. The server keeps
 * serving: a legitimate classic Python worker completes afterwards.
 */
import { existsSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FramedSocket, PythonManagerServer } from '../../node/python/index.js';
import type { PyValue } from '../../node/python/pickle/index.js';
import { clientHandshake, decodeReply, encodeRequest } from '../../node/python/wire/index.js';
import { Queue } from '../../shared/queue/queue.js';
import { defaultPython, FIXTURES, killAllPythons, spawnPython } from './helpers.js';

const HOST = '127.0.0.1';
/** `#CHALLENGE#{sha256}` + 40 random bytes, framed. */
const CHALLENGE_FRAME_BYTES = 4 + 11 + 8 + 40;

const tasks = new Queue<PyValue>();
const results = new Queue<PyValue>();
const warnings: string[] = [];
let server: PythonManagerServer;
let port: number;

beforeAll(async () => {
  server = new PythonManagerServer(
    new Map([
      ['get_task_queue', { callable: () => tasks }],
      ['get_result_queue', { callable: () => results }],
    ]),
    { authkey: 'abc', logger: { warn: (message) => warnings.push(message) } },
  );
  ({ port } = await server.listen(0, HOST));
});

afterAll(async () => {
  killAllPythons();
  await server.close();
});

interface RawConnection {
  socket: Socket;
  /** Everything the server sent. */
  received(): Buffer;
  /** Resolves once at least `n` bytes arrived. */
  receivedAtLeast(n: number): Promise<void>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

function raw(): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let data = Buffer.alloc(0);
    const waiters: Array<() => void> = [];
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (const wake of waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    const receivedAtLeast = (n: number): Promise<void> =>
      new Promise((done) => {
        const check = (): void => {
          if (data.length >= n) done();
          else waiters.push(check);
        };
        check();
      });
    socket.once('connect', () => resolve({ socket, received: () => data, receivedAtLeast, closed }));
    socket.once('error', reject);
  });
}

/** A connection that passed the handshake (as a Python client would), for attacks after authentication. */
async function authenticated(to = port): Promise<FramedSocket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: HOST, port: to }, () => resolve(s));
    s.once('error', reject);
  });
  const channel = new FramedSocket(socket);
  await clientHandshake(channel, new TextEncoder().encode('abc'));
  return channel;
}

async function closedBy(channel: FramedSocket): Promise<void> {
  if (channel.socket.destroyed) return;
  await new Promise<void>((resolve) => channel.socket.once('close', () => resolve()));
}

function lastWarning(): string {
  return warnings.at(-1) ?? '';
}

describe('before authentication', () => {
  it('closes on garbage without sending anything back', async () => {
    const conn = await raw();
    await conn.receivedAtLeast(CHALLENGE_FRAME_BYTES);
    conn.socket.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
    await conn.closed;
    // Only our challenge ever reached the peer: no #FAILURE#, no traceback.
    expect(conn.received()).toHaveLength(CHALLENGE_FRAME_BYTES);
    expect(lastWarning()).toMatch(/refused connection .*MessageTooLargeError/);
  });

  it('closes on a huge length prefix (12-byte form)', async () => {
    const conn = await raw();
    conn.socket.write(Buffer.from('ffffffff7fffffffffffffff', 'hex'));
    await conn.closed;
    expect(lastWarning()).toMatch(/refused connection .*exceeds the 256-byte limit/);
  });

  it('closes on a truncated frame', async () => {
    const conn = await raw();
    conn.socket.end(Buffer.from('00000064deadbeef', 'hex'));
    await conn.closed;
    expect(lastWarning()).toMatch(/refused connection .*middle of a frame/);
  });

  it('closes on a negative length', async () => {
    const conn = await raw();
    conn.socket.write(Buffer.from('fffffff0', 'hex'));
    await conn.closed;
    expect(lastWarning()).toMatch(/refused connection .*ProtocolError: invalid frame length -16/);
  });
});

describe('after authentication', () => {
  it('answers a request frame over the size limit without buffering it, and keeps the connection', async () => {
    const small = new PythonManagerServer(new Map([['q', { callable: () => tasks }]]), {
      authkey: 'abc',
      maxFrameBytes: 1024,
      logger: { warn: (message) => warnings.push(message) },
    });
    const { port: smallPort } = await small.listen(0, HOST);
    try {
      const channel = await authenticated(smallPort);
      await channel.send(encodeRequest({ ident: null, method: 'accept_connection', args: ['big'] }));
      expect(decodeReply(await channel.receive())).toEqual({ kind: '#RETURN', value: null });
      await channel.send(new Uint8Array(64 * 1024));
      const refusal = decodeReply(await channel.receive());
      expect(refusal).toMatchObject({ kind: '#TRACEBACK' });
      expect((refusal as { text: string }).text).toMatch(
        /MessageTooLargeError: frame of 65536 bytes exceeds the 1024-byte limit/,
      );
      // Still in step: the next request on the same connection is served.
      await channel.send(encodeRequest({ ident: 'nope', method: 'qsize' }));
      expect(decodeReply(await channel.receive())).toMatchObject({ kind: '#TRACEBACK', text: /KeyError: 'nope'/ });
      channel.close();
    } finally {
      await small.close();
    }
  });

  it('closes on a truncated request', async () => {
    const channel = await authenticated();
    channel.socket.end(Buffer.from('0000010080049500', 'hex'));
    await closedBy(channel);
    expect(lastWarning()).toMatch(/closed connection .*middle of a frame/);
  });

  it('closes on a request that is not a pickle', async () => {
    const channel = await authenticated();
    await channel.send(new TextEncoder().encode('not a pickle at all'));
    await closedBy(channel);
    expect(lastWarning()).toMatch(/closed connection .*PickleOpcodeError/);
  });

  it.each(['request', 'method'])(
    'refuses a pickle that would run os.system (as a %s), without running it, answering a RemoteError',
    async (mode) => {
      const pwned = `/tmp/pwned-peerproc-${process.pid}-${mode}`;
      rmSync(pwned, { force: true });
      const evil = spawnPython(defaultPython(), join(FIXTURES, 'hostile_client.py'), [
        HOST,
        String(port),
        'abc',
        mode,
        pwned,
      ]);
      expect(await evil.exited, evil.stderr()).toBe(0);
      expect(evil.stdout()).toMatch(/reply #TRACEBACK PickleForbiddenError: refused call of posix\.system/);
      // In the method-call loop the connection carries on, as CPython's does after an unpicklable request.
      if (mode === 'method') expect(evil.stdout()).toMatch(/still served #TRACEBACK KeyError: 'nope'\n$/);
      expect(existsSync(pwned)).toBe(false);
      expect(warnings.join('\n')).toMatch(
        /refused a request from .*PickleForbiddenError: refused call of posix\.system/,
      );
    },
  );
});

describe('after all that', () => {
  it('still serves a legitimate classic worker', async () => {
    const warningsBefore = warnings.length;
    const numbers = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    for (const n of numbers) await tasks.put(n);
    const worker = spawnPython(defaultPython(), join(FIXTURES, 'task_worker.py'), [HOST, String(port), 'abc']);
    const got: PyValue[] = [];
    for (const _ of numbers) got.push(await results.get());
    expect(got).toEqual(numbers.map((n) => `${n} * ${n} = ${n * n}`));
    expect(await worker.exited, worker.stderr()).toBe(0);
    expect(worker.stdout()).toMatch(/worker exit\.\n$/);
    expect(warnings.slice(warningsBefore)).toEqual([]);
  });
});
