/**
 * The WebRTC and WebSocket surface peerproc uses: a structural subset of the
 * W3C APIs, so that browsers' own classes and Node bindings (node-datachannel's
 * polyfill, @roamhq/wrtc, `ws`) all fit without adapters. Each platform entry
 * point (node/, web/) supplies a `Platform`; shared/ never imports one.
 */

/** RTCIceServer as configured by users and handed to peers (by the signaling server too). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface SessionDescription {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp?: string;
}

export interface IceCandidate {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface DataChannel {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold?: number;
  binaryType: string;
  send(data: Uint8Array): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onbufferedamountlow?: ((event: unknown) => void) | null;
}

export interface PeerConnection {
  readonly localDescription: SessionDescription | null;
  readonly remoteDescription: SessionDescription | null;
  readonly connectionState?: string;
  readonly iceConnectionState?: string;
  createDataChannel(label: string, init?: { negotiated?: boolean; id?: number; ordered?: boolean }): DataChannel;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(description: SessionDescription): Promise<void>;
  setRemoteDescription(description: SessionDescription): Promise<void>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;
  close(): void;
  onicecandidate: ((event: { candidate: IceCandidate | { toJSON(): IceCandidate } | null }) => void) | null;
  oniceconnectionstatechange?: ((event: unknown) => void) | null;
  onconnectionstatechange?: ((event: unknown) => void) | null;
  getStats?(): Promise<unknown>;
}

export interface PeerConnectionConstructor {
  new (configuration: {
    iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  }): PeerConnection;
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface WebSocketConstructor {
  new (url: string): WebSocketLike;
}

/** What a platform entry point supplies to the shared core. */
export interface Platform {
  /** A short name for logs and benchmarks, e.g. "node-datachannel" or "browser". */
  readonly name: string;
  readonly RTCPeerConnection: PeerConnectionConstructor;
  readonly WebSocket: WebSocketConstructor;
}
