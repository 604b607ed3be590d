/**
 * PeerLink against a scripted RTCPeerConnection that behaves as
 * libdatachannel does where it matters: a remote candidate before both
 * descriptions are set is an error, and a send on a closed channel throws.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionClosedError } from '../../shared/errors.js';
import { PeerLink, parseLinkSignal } from '../../shared/webrtc/peer-link.js';
import type { DataChannel, IceCandidate, Platform, SessionDescription } from '../../shared/webrtc/platform.js';

class ScriptedChannel implements DataChannel {
  readyState = 'connecting';
  bufferedAmount = 0;
  binaryType = 'blob';
  onopen: DataChannel['onopen'] = null;
  onclose: DataChannel['onclose'] = null;
  onerror: DataChannel['onerror'] = null;
  onmessage: DataChannel['onmessage'] = null;
  send(): void {
    if (this.readyState !== 'open') throw new Error('DataChannel is closed');
  }
  close(): void {
    this.readyState = 'closed';
  }
}

class ScriptedPeerConnection {
  static last: ScriptedPeerConnection;
  localDescription: SessionDescription | null = null;
  remoteDescription: SessionDescription | null = null;
  readonly channel = new ScriptedChannel();
  readonly added: IceCandidate[] = [];
  onicecandidate = null;
  constructor() {
    ScriptedPeerConnection.last = this;
  }
  createDataChannel() {
    return this.channel;
  }
  async createOffer(): Promise<SessionDescription> {
    return { type: 'offer', sdp: 'v=0\r\n' };
  }
  async createAnswer(): Promise<SessionDescription> {
    // The answer takes a while, as a real stack's does: candidates arrive meanwhile.
    await new Promise((r) => setTimeout(r, 20));
    return { type: 'answer', sdp: 'v=0\r\n' };
  }
  async setLocalDescription(d: SessionDescription): Promise<void> {
    this.localDescription = d;
  }
  async setRemoteDescription(d: SessionDescription): Promise<void> {
    this.remoteDescription = d;
  }
  async addIceCandidate(c: IceCandidate): Promise<void> {
    if (!this.localDescription || !this.remoteDescription)
      throw new Error('Got a remote candidate without ICE transport');
    this.added.push(c);
  }
  close(): void {}
}

const platform = {
  name: 'scripted',
  RTCPeerConnection: ScriptedPeerConnection,
  WebSocket: class {},
} as unknown as Platform;

const candidate = (n: number) =>
  parseLinkSignal({ candidate: { candidate: `candidate:${n} 1 udp 1 10.77.0.1 ${n} typ host` } });

describe('PeerLink', () => {
  it('queues candidates that arrive between the offer and its answer, then adds them in order', async () => {
    let closed: Error | undefined | null = null;
    const link = new PeerLink({ platform, offerer: false, iceServers: [], sendSignal: () => {} });
    link.start({ onOpen() {}, onFrame() {}, onClose: (reason) => (closed = reason) });
    const pc = ScriptedPeerConnection.last;
    const offer = link.handleSignal(parseLinkSignal({ sdp: { type: 'offer', sdp: 'v=0\r\n' } }));
    await new Promise((r) => setTimeout(r, 5)); // the remote description is set, the answer not yet
    await link.handleSignal(candidate(1));
    await link.handleSignal(candidate(2));
    await offer;
    await link.handleSignal(candidate(3));
    expect(closed).toBeNull();
    expect(pc.added.map((c) => c.candidate?.split(' ')[0])).toEqual(['candidate:1', 'candidate:2', 'candidate:3']);
    link.close();
  });

  it('reports a send on a channel that closed underneath as ConnectionClosedError, not a protocol breach', () => {
    let reason: Error | undefined;
    const link = new PeerLink({ platform, offerer: true, iceServers: [], sendSignal: () => {} });
    link.start({ onOpen() {}, onFrame() {}, onClose: (r) => (reason = r) });
    const channel = ScriptedPeerConnection.last.channel;
    channel.readyState = 'open';
    channel.onopen?.({});
    channel.readyState = 'closed'; // the far end hung up while we were frozen; no close event yet
    link.send(new Uint8Array([1]));
    expect(reason).toBeInstanceOf(ConnectionClosedError);
    expect(reason?.message).toMatch(/data channel closed while sending: DataChannel is closed/);
  });
});
