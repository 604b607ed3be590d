import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../shared/errors.js';
import { parseLinkSignal, selectedPathOf } from '../../shared/webrtc/peer-link.js';

describe('parseLinkSignal', () => {
  it('keeps only the fields of an offer or answer', () => {
    expect(parseLinkSignal({ sdp: { type: 'offer', sdp: 'v=0', extra: 1 }, more: 2 })).toEqual({
      sdp: { type: 'offer', sdp: 'v=0' },
    });
    expect(parseLinkSignal({ sdp: { type: 'answer', sdp: 'v=0' } })).toEqual({ sdp: { type: 'answer', sdp: 'v=0' } });
  });

  it('reads candidates, defaulting a missing line index to 0 and a missing mid to null', () => {
    expect(parseLinkSignal({ candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' } })).toEqual({
      candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host', sdpMid: null, sdpMLineIndex: 0 },
    });
    expect(parseLinkSignal({ candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: 2 } })).toEqual({
      candidate: { candidate: 'c', sdpMid: '0', sdpMLineIndex: 2 },
    });
    expect(parseLinkSignal({ candidate: { candidate: 'c', sdpMid: 5, sdpMLineIndex: 1.5 } })).toEqual({
      candidate: { candidate: 'c', sdpMid: null, sdpMLineIndex: 0 },
    });
    expect(parseLinkSignal({ candidate: null })).toEqual({ candidate: null });
  });

  it('refuses anything else with a ProtocolError, never another exception', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'offer',
      42,
      [],
      {},
      { sdp: { type: 'pranswer', sdp: 'v=0' } },
      { sdp: { type: 'offer', sdp: 7 } },
      { sdp: 'v=0' },
      { candidate: 'c' },
      { candidate: { candidate: 7 } },
      { candidate: {} },
    ];
    for (const data of bad) {
      expect(() => parseLinkSignal(data), JSON.stringify(data)).toThrow(ProtocolError);
    }
  });
});

/** A stats report as browsers and node-datachannel give it: a maplike with forEach. */
const report = (...stats: Array<Record<string, unknown>>) => new Map(stats.map((s) => [s.id, s]));
const candidates = [
  { id: 'L', type: 'local-candidate', candidateType: 'host' },
  { id: 'R', type: 'remote-candidate', candidateType: 'relay' },
  { id: 'L2', type: 'local-candidate', candidateType: 'srflx' },
];

describe('selectedPathOf', () => {
  it("follows the transport's selected pair", () => {
    const stats = report(
      ...candidates,
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P1' },
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
      { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R', selected: true },
    );
    expect(selectedPathOf(stats)).toEqual({ local: 'host', remote: 'relay' });
  });

  it('falls back to the pair flagged selected (Firefox), then to a nominated, succeeded one', () => {
    expect(
      selectedPathOf(
        report(...candidates, {
          id: 'P',
          type: 'candidate-pair',
          localCandidateId: 'L2',
          remoteCandidateId: 'R',
          selected: true,
        }),
      ),
    ).toEqual({ local: 'srflx', remote: 'relay' });
    const nominated = {
      id: 'P',
      type: 'candidate-pair',
      localCandidateId: 'L',
      remoteCandidateId: 'R',
      nominated: true,
    };
    expect(selectedPathOf(report(...candidates, { ...nominated, state: 'succeeded' }))).toEqual({
      local: 'host',
      remote: 'relay',
    });
    expect(selectedPathOf(report(...candidates, { ...nominated, state: 'in-progress' }))).toBeUndefined();
  });

  it('says nothing for reports without a usable pair, or that are not reports', () => {
    expect(selectedPathOf(report(...candidates))).toBeUndefined();
    expect(
      selectedPathOf(
        report({ id: 'P', type: 'candidate-pair', localCandidateId: 'X', remoteCandidateId: 'Y', selected: true }),
      ),
    ).toBeUndefined();
    for (const junk of [null, undefined, 42, {}, { forEach: 1 }]) expect(selectedPathOf(junk)).toBeUndefined();
  });
});
