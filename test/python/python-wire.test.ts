/**
 * node/python/wire: framing, the handshake (both forms, both roles), the
 * request/reply messages and the error mapping, checked against CPython's own
 * `multiprocessing.connection` output where it matters.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  PickleForbiddenError,
  PyException,
  PyToken,
  type PyValue,
  pickle,
  tuple,
} from '../../node/python/pickle/index.js';
import {
  answerChallenge,
  CHALLENGE,
  type ChallengeForm,
  clientHandshake,
  constantTimeEqual,
  createResponse,
  decodeReply,
  decodeRequest,
  deliverChallenge,
  encodeFrame,
  encodeReply,
  encodeRequest,
  type FrameChannel,
  FrameDecoder,
  frameHeader,
  fromPythonException,
  fromTraceback,
  HANDSHAKE_MAX_BYTES,
  type Reply,
  serverHandshake,
  toPythonException,
  tracebackText,
  WELCOME,
} from '../../node/python/wire/index.js';
import {
  AuthenticationError,
  Empty,
  Full,
  MessageTooLargeError,
  ProtocolError,
  RemoteError,
  ShutDown,
} from '../../shared/errors.js';
import { defaultPython, runPython } from './helpers.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

/** Two connected in-memory channels, framed with our encoder and decoder as on a socket. */
function channelPair(): [FrameChannel, FrameChannel] {
  const make = () => {
    const decoder = new FrameDecoder();
    let wake: (() => void) | undefined;
    const channel: FrameChannel & { deliver(bytes: Uint8Array): void; peer?: { deliver(bytes: Uint8Array): void } } = {
      deliver(bytes) {
        decoder.push(bytes);
        wake?.();
      },
      send(payload) {
        channel.peer?.deliver(encodeFrame(payload));
      },
      async receive(maxBytes) {
        for (;;) {
          const frame = decoder.next(maxBytes);
          if (frame) return frame;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
    };
    return channel;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

describe('framing', () => {
  it('decodes frames split at every byte boundary, in both header forms', () => {
    const payloads = [new Uint8Array(0), utf8('hello'), new Uint8Array(70_000).fill(7)];
    const extended = new Uint8Array([...Buffer.from('ffffffff0000000000000003', 'hex'), 1, 2, 3]);
    const stream = Buffer.concat([...payloads.map(encodeFrame), extended]);
    for (const step of [1, 2, 3, 5, 7, 4096, stream.length]) {
      const decoder = new FrameDecoder();
      const frames: Uint8Array[] = [];
      for (let at = 0; at < stream.length; at += step) {
        decoder.push(stream.subarray(at, at + step));
        for (let f = decoder.next(); f; f = decoder.next()) frames.push(f);
      }
      expect(frames.map(hex)).toEqual([...payloads, new Uint8Array([1, 2, 3])].map(hex));
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('writes the 12-byte header beyond 0x7fffffff bytes, as CPython', () => {
    expect(hex(frameHeader(5))).toBe('00000005');
    expect(hex(frameHeader(0x7fffffff))).toBe('7fffffff');
    expect(hex(frameHeader(0x80000000))).toBe('ffffffff0000000080000000');
    expect(hex(frameHeader(2 ** 40 + 1))).toBe('ffffffff0000010000000001');
  });

  it('refuses oversized and negative lengths before buffering, then stays failed', () => {
    const big = new FrameDecoder({ maxFrameBytes: 100 });
    big.push(frameHeader(101));
    expect(() => big.next()).toThrow(MessageTooLargeError);
    expect(() => big.next()).toThrow(MessageTooLargeError);
    const huge = new FrameDecoder();
    huge.push(Buffer.from('ffffffffffffffffffffffff', 'hex'));
    expect(() => huge.next()).toThrow(MessageTooLargeError);
    const negative = new FrameDecoder();
    negative.push(Buffer.from('fffffffe', 'hex'));
    expect(() => negative.next()).toThrow(ProtocolError);
    const perCall = new FrameDecoder();
    perCall.push(encodeFrame(new Uint8Array(300)));
    expect(() => perCall.next(HANDSHAKE_MAX_BYTES)).toThrow(/300 bytes exceeds the 256-byte limit/);
  });

  it("reads the frames CPython's Connection.send_bytes writes", () => {
    const result = spawnSync(
      defaultPython().path,
      [
        '-c',
        `import os
from multiprocessing.connection import Connection
c = Connection(os.dup(1), readable=False)
for n in (0, 1, 16384, 16385, 100000):
    c.send_bytes(bytes([n % 251]) * n)
c.send((None, 'dummy', (), {}))`,
      ],
      { maxBuffer: 1 << 20 },
    );
    expect(result.status).toBe(0);
    const decoder = new FrameDecoder();
    decoder.push(new Uint8Array(result.stdout));
    for (const n of [0, 1, 16384, 16385, 100000]) {
      expect(hex(decoder.next() as Uint8Array)).toBe(hex(new Uint8Array(n).fill(n % 251)));
    }
    const request = decodeRequest(decoder.next() as Uint8Array);
    expect(request).toEqual({ ident: null, method: 'dummy', args: [], kwds: new Map() });
  });
});

describe('handshake', () => {
  const key = utf8('abc');
  const forms: ChallengeForm[] = ['sha256', 'legacy'];

  it.each(forms.flatMap((s) => forms.map((c) => [s, c] as const)))(
    'server challenging in %s form and client in %s form authenticate each other',
    async (serverForm, clientForm) => {
      const [server, client] = channelPair();
      await Promise.all([
        serverHandshake(server, key, { challenge: serverForm }),
        clientHandshake(client, key, { challenge: clientForm }),
      ]);
    },
  );

  it('rejects a wrong key on both sides with the CPython messages', async () => {
    const [server, client] = channelPair();
    const [s, c] = await Promise.allSettled([serverHandshake(server, key), clientHandshake(client, utf8('wrong'))]);
    expect(s).toMatchObject({
      status: 'rejected',
      reason: { name: 'AuthenticationError', message: 'digest received was wrong' },
    });
    expect(c).toMatchObject({
      status: 'rejected',
      reason: { name: 'AuthenticationError', message: 'digest sent was rejected' },
    });
  });

  it('makes a client check the server too: an impostor that welcomes anyone is refused', async () => {
    const [impostor, client] = channelPair();
    const fake = (async () => {
      await impostor.send(new Uint8Array([...CHALLENGE, ...new Uint8Array(20)]));
      await impostor.receive(HANDSHAKE_MAX_BYTES);
      await impostor.send(WELCOME);
      // Does not know the key: answers the client's challenge with garbage.
      await impostor.receive(HANDSHAKE_MAX_BYTES);
      await impostor.send(new Uint8Array(16));
      return impostor.receive(HANDSHAKE_MAX_BYTES);
    })();
    await expect(clientHandshake(client, key)).rejects.toThrow('digest received was wrong');
    expect(new TextDecoder().decode(await fake)).toBe('#FAILURE#');
  });

  it('refuses malformed challenges and unsupported digests', async () => {
    const [a, b] = channelPair();
    await a.send(utf8('#HELLO#'));
    await expect(answerChallenge(b, key)).rejects.toThrow(AuthenticationError);
    const [c, d] = channelPair();
    await c.send(new Uint8Array([...CHALLENGE, ...new Uint8Array(10)]));
    await expect(answerChallenge(d, key)).rejects.toThrow(/challenge too short/);
    const [e, f] = channelPair();
    await e.send(new Uint8Array([...CHALLENGE, ...utf8('{sha1}'), ...new Uint8Array(40)]));
    await expect(answerChallenge(f, key)).rejects.toThrow(/unsupported digest/);
    const [g, h] = channelPair();
    await g.send(new Uint8Array(HANDSHAKE_MAX_BYTES + 1));
    await expect(answerChallenge(h, key)).rejects.toThrow(MessageTooLargeError);
    const [i, j] = channelPair();
    const verdict = deliverChallenge(i, key);
    await j.receive(HANDSHAKE_MAX_BYTES);
    await j.send(new Uint8Array([...utf8('{sha1}'), ...new Uint8Array(20)]));
    await expect(verdict).rejects.toThrow(AuthenticationError);
  });

  it('computes the responses CPython computes, for every allowed digest and the legacy form', () => {
    const messages = [
      new Uint8Array(20).fill(1),
      ...['sha256', 'md5', 'sha384', 'sha3_256', 'sha3_384'].map(
        (d) => new Uint8Array([...utf8(`{${d}}`), ...new Uint8Array(40).fill(2)]),
      ),
    ];
    const theirs = runPython(
      `import hmac, json, sys
key = b'abc'
for m in json.load(sys.stdin):
    m = bytes.fromhex(m)
    if len(m) == 20:
        print(hmac.new(key, m, 'md5').hexdigest())
    else:
        d = m[1:m.index(b'}')].decode()
        print((b'{%s}' % d.encode() + hmac.new(key, m, d).digest()).hex())`,
      JSON.stringify(messages.map(hex)),
    )
      .trim()
      .split('\n');
    expect(messages.map((m) => hex(createResponse(key, m)))).toEqual(theirs);
  });

  it('compares in constant time, over the whole length', () => {
    expect(constantTimeEqual(utf8('abc'), utf8('abc'))).toBe(true);
    expect(constantTimeEqual(utf8('abc'), utf8('abd'))).toBe(false);
    expect(constantTimeEqual(utf8('abc'), utf8('ab'))).toBe(false);
  });
});

describe('messages', () => {
  it('round-trips every reply kind', () => {
    const replies: Reply[] = [
      { kind: '#RETURN', value: tuple('7f', tuple('get')) },
      { kind: '#ERROR', error: new PyException('_queue', 'Empty') },
      { kind: '#TRACEBACK', text: 'Traceback...\nKeyError: 1\n' },
      { kind: '#PROXY', exposed: ['get'], token: new PyToken('q', tuple('127.0.0.1', 1), 'a') },
      { kind: '#UNSERIALIZABLE', text: 'no' },
    ];
    for (const reply of replies) expect(decodeReply(encodeReply(reply))).toStrictEqual(reply);
  });

  it('round-trips requests, with kwds from a Map or a plain object', () => {
    const data = encodeRequest({ ident: '7f', method: 'put', args: [1], kwds: { block: false } });
    expect(decodeRequest(data)).toEqual({ ident: '7f', method: 'put', args: [1], kwds: new Map([['block', false]]) });
  });

  it('refuses requests and replies of the wrong shape', () => {
    const bad: PyValue[] = [
      null,
      tuple(null, 'x', tuple()),
      tuple(1, 'x', tuple(), new Map()),
      tuple(null, 1, tuple(), new Map()),
      tuple(null, 'x', 'args', new Map()),
      tuple(null, 'x', tuple(), new Map([[1, 2]])),
    ];
    for (const value of bad) expect(() => decodeRequest(pickle(value))).toThrow(ProtocolError);
    for (const value of [tuple('#RETURN'), tuple('#WHAT', 1), tuple('#TRACEBACK', 1), tuple('#PROXY', tuple(1, 2))]) {
      expect(() => decodeReply(pickle(value))).toThrow(ProtocolError);
    }
    expect(() =>
      decodeRequest(new Uint8Array([0x80, 4, 0x8c, 5, ...utf8('posix'), 0x8c, 6, ...utf8('system'), 0x93, 0x2e])),
    ).toThrow(PickleForbiddenError);
  });
});

describe('errors across the boundary', () => {
  it('sends our errors as the Python exceptions a CPython manager raises', () => {
    expect(toPythonException(new Empty())).toStrictEqual(new PyException('_queue', 'Empty'));
    expect(toPythonException(new Full())).toStrictEqual(new PyException('queue', 'Full'));
    expect(toPythonException(new RangeError('r'))).toStrictEqual(new PyException('builtins', 'ValueError', ['r']));
    expect(toPythonException(new TypeError('t'))).toStrictEqual(new PyException('builtins', 'TypeError', ['t']));
    expect(toPythonException(new RemoteError('KeyError', 'k'))).toStrictEqual(
      new PyException('builtins', 'KeyError', ['k']),
    );
    const other = toPythonException(new ProtocolError('p'));
    expect(other).toStrictEqual(new PyException('builtins', 'Exception', ['ProtocolError: p']));
    // A plain JS Error is Python's Exception with its message; a 3.13 queue's ShutDown is queue.ShutDown.
    expect(toPythonException(new Error('boom'))).toStrictEqual(new PyException('builtins', 'Exception', ['boom']));
    expect(toPythonException(new ShutDown())).toStrictEqual(new PyException('queue', 'ShutDown'));
    expect(fromPythonException(new PyException('queue', 'ShutDown'))).toBeInstanceOf(ShutDown);
    expect(tracebackText(new Error('x'))).not.toMatch(/\.ts|at |\//);
  });

  it("encodes Empty and Full replies byte for byte as CPython's server does", () => {
    const theirs = runPython(`
import queue, _queue
from multiprocessing.reduction import ForkingPickler
print(bytes(ForkingPickler.dumps(('#ERROR', _queue.Empty()))).hex())
print(bytes(ForkingPickler.dumps(('#ERROR', queue.Full()))).hex())`)
      .trim()
      .split('\n');
    const ours = [new Empty(), new Full()].map((err) =>
      hex(encodeReply({ kind: '#ERROR', error: toPythonException(err) })),
    );
    expect(ours).toEqual(theirs);
  });

  it('raises our Empty/Full for queue exceptions and RemoteError with the Python name otherwise', () => {
    expect(fromPythonException(new PyException('_queue', 'Empty'))).toBeInstanceOf(Empty);
    expect(fromPythonException(new PyException('queue', 'Empty'))).toBeInstanceOf(Empty);
    expect(fromPythonException(new PyException('queue', 'Full'))).toBeInstanceOf(Full);
    expect(fromPythonException(new PyException('builtins', 'KeyError', ['k']))).toMatchObject({
      name: 'KeyError',
      message: "'k'",
    });
    const text = runPython(`
import traceback
try:
    {}['missing']
except Exception:
    print(traceback.format_exc(), end='')`);
    expect(fromTraceback(text)).toMatchObject({ name: 'KeyError', message: "'missing'" });
    expect(fromTraceback(tracebackText(new RangeError('bad')))).toMatchObject({ name: 'ValueError', message: 'bad' });
  });
});
