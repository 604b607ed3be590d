import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PickleDecodeError, PickleForbiddenError } from '../../node/python/pickle/errors.js';
import {
  AuthenticationError,
  ConnectionClosedError,
  ConnectTimeoutError,
  Empty,
  ERROR_CODES,
  errorCode,
  Full,
  fromWireError,
  PeerShutdownError,
  RemoteError,
  SignalingError,
  toWireError,
} from '../../shared/errors.js';
import { Kind, parseMessage } from '../../shared/rpc/protocol.js';
import type { Registry } from '../../shared/rpc/registry.js';
import { SIGNALING_ERROR_CODES } from '../../shared/signaling/protocol.js';
import { connectionPair } from '../support/memory-link.js';

describe('error codes', () => {
  it('gives every error the code of its class, and sets names explicitly', () => {
    const errors = [
      new Empty(),
      new Full(),
      new AuthenticationError('KEY_REJECTED', 'x'),
      new ConnectionClosedError('HEARTBEAT_LOST', 'x'),
      new PeerShutdownError('MASTER_FINISHED', 'x'),
      new ConnectTimeoutError('ICE_FAILED', 'x'),
      new SignalingError('ROOM_FULL', 'x'),
      new PickleDecodeError('x'),
      new PickleForbiddenError('x'),
    ];
    for (const err of errors) {
      expect(ERROR_CODES[err.code], `${err.name} ${err.code}`).toBe(err.name);
    }
    expect(new PickleForbiddenError('x').name).toBe('PickleForbiddenError');
    expect(errorCode(new TypeError('x'))).toBeUndefined();
  });

  it('lists every code of the signaling server (ADDRESS_IN_USE as its own class)', () => {
    for (const code of SIGNALING_ERROR_CODES) {
      expect(ERROR_CODES[code]).toBe(code === 'ADDRESS_IN_USE' ? 'AddressInUseError' : 'SignalingError');
    }
  });

  it('has a section in docs/errors.md for each code, and none for codes that do not exist', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const sections = [...doc.matchAll(/^### (\w+)$/gm)].map((m) => m[1]);
    expect(new Set(sections)).toEqual(new Set(Object.keys(ERROR_CODES)));
    expect(sections).toHaveLength(new Set(sections).size);
  });

  it('carries the code across the wire form and rebuilds the class', () => {
    const back = fromWireError(toWireError(new ConnectionClosedError('CALLER_GONE', 'gone')));
    expect(back).toBeInstanceOf(ConnectionClosedError);
    expect(back).toMatchObject({ name: 'ConnectionClosedError', code: 'CALLER_GONE', message: 'gone' });
    expect(fromWireError(toWireError(new Empty()))).toMatchObject({ code: 'QUEUE_EMPTY' });
  });

  it('keeps a peer-sent code only when it belongs to the class', () => {
    expect(fromWireError({ name: 'AuthenticationError', message: 'm', code: 'QUEUE_EMPTY' })).toMatchObject({
      code: 'PEER_UNPROVEN',
    });
    expect(fromWireError({ name: 'ConnectionClosedError', message: 'm', code: 'toString' })).toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
    expect(fromWireError({ name: 'ConnectionClosedError', message: 'm' })).toMatchObject({ code: 'CONNECTION_CLOSED' });
    const unknown = fromWireError({ name: 'KeyError', message: 'm', code: 'NO_MASTER' });
    expect(unknown).toBeInstanceOf(RemoteError);
    expect(unknown).toMatchObject({ name: 'KeyError', code: 'REMOTE_ERROR' });
  });

  it('parses ERROR messages with and without a code, and refuses a code that is not a short string', () => {
    expect(parseMessage([Kind.Error, 1, 'Empty', 'queue is empty', 'QUEUE_EMPTY'])).toHaveLength(5);
    expect(parseMessage([Kind.Error, 1, 'Empty', 'queue is empty'])).toHaveLength(4);
    expect(() => parseMessage([Kind.Error, 1, 'Empty', 'queue is empty', 7])).toThrow(/malformed/);
    expect(() => parseMessage([Kind.Error, 1, 'Empty', 'e', 'x'.repeat(300)])).toThrow(/malformed/);
  });
});

describe('error codes over a real connection', () => {
  const pair = async (registry: Registry, workerKey = 'k') => connectionPair(registry, workerKey);

  it('reports a wrong key as KEY_REJECTED to the worker', async () => {
    const { master, worker } = await pair(new Map(), 'wrong');
    await expect(worker.ready).rejects.toMatchObject({ name: 'AuthenticationError', code: 'KEY_REJECTED' });
    master.close();
  });

  it("delivers a served object's error with its code", async () => {
    const thrower = {
      fail() {
        throw new ConnectionClosedError('CALLER_GONE', 'the caller went');
      },
    };
    const { master, worker } = await pair(new Map([['thrower', { callable: () => thrower }]]));
    await worker.ready;
    const ref = await worker.rpc.create('thrower', []);
    await expect(worker.rpc.call(ref.objectId, 'fail', [])).rejects.toMatchObject({
      name: 'ConnectionClosedError',
      code: 'CALLER_GONE',
      message: 'the caller went',
    });
    worker.close();
    master.close();
  });

  it("gives pending calls the peer's goodbye as PEER_BYE with its words", async () => {
    const { master, worker } = await pair(
      new Map([['slow', { callable: () => ({ wait: () => new Promise(() => {}) }) }]]),
    );
    await worker.ready;
    const ref = await worker.rpc.create('slow', []);
    const pending = expect(worker.rpc.call(ref.objectId, 'wait', [])).rejects.toMatchObject({
      name: 'PeerShutdownError',
      code: 'PEER_BYE',
      peerReason: 'run over',
    });
    await master.bye('run over');
    await pending;
  });
});
