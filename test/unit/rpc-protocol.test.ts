import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors.js';
import { Kind, parseMessage } from '../../shared/rpc/protocol.js';
import { Codec } from '../../shared/wire/codec.js';

describe('parseMessage', () => {
  it('accepts every well-formed message kind', () => {
    expect(parseMessage([Kind.Call, 1, 2, 'get', [{ timeout: 1 }]])[0]).toBe(Kind.Call);
    expect(parseMessage([Kind.Create, 1, 'get_task_queue', []])[0]).toBe(Kind.Create);
    expect(parseMessage([Kind.Result, 1, 'anything'])[0]).toBe(Kind.Result);
    expect(parseMessage([Kind.Error, 1, 'Empty', 'queue is empty'])[0]).toBe(Kind.Error);
    expect(parseMessage([Kind.Release, 3])[0]).toBe(Kind.Release);
    expect(parseMessage([Kind.Bye, 'bye'])[0]).toBe(Kind.Bye);
    expect(parseMessage([Kind.Ping])[0]).toBe(Kind.Ping);
    expect(parseMessage([Kind.ProxyResult, 1, 2, ['get'], {}])[0]).toBe(Kind.ProxyResult);
    expect(parseMessage([Kind.Hello, 'node-datachannel'])[0]).toBe(Kind.Hello);
  });

  it('names what is wrong with a malformed message', () => {
    expect(() => parseMessage('hello')).toThrow(/not a non-empty array/);
    expect(() => parseMessage([99])).toThrow(/unknown message kind 99/);
    expect(() => parseMessage([Kind.Call, -1, 2, 'get', []])).toThrow(/malformed message of kind 0/);
    expect(() => parseMessage([Kind.Call, 1, 2, 'x'.repeat(300), []])).toThrow(ProtocolError);
  });

  it('only ever throws ProtocolError on arbitrary decoded values (fuzzed)', () => {
    const kinds = fc.constantFrom(...Object.values(Kind).filter((v) => typeof v === 'number'));
    const messageLike = fc.oneof(
      fc.anything(),
      fc.tuple(kinds, fc.anything(), fc.anything(), fc.anything(), fc.anything()),
      fc.tuple(kinds, fc.nat(), fc.anything()),
      fc.array(fc.anything(), { maxLength: 6 }),
    );
    fc.assert(
      fc.property(messageLike, (value) => {
        try {
          parseMessage(value);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('survives arbitrary bytes through decode and parse (fuzzed)', () => {
    const codec = new Codec();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        try {
          for (const value of codec.decodeAll(bytes)) parseMessage(value);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
