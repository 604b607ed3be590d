/**
 * One WebRTC peer connection carrying one data channel, set up through
 * signaling messages. The worker side offers, the master side answers. The
 * channel is pre-negotiated (id 0 on both sides), so it opens as soon as DTLS
 * and SCTP are up, with no extra round trip.
 */

import { ConnectionClosedError, ConnectTimeoutError, ProtocolError } from '../errors.js';
import { sdpFingerprint } from '../wire/auth.js';
import { type FrameChannel, HIGH_WATER_BYTES } from '../wire/framing.js';
import type { DataChannel, IceCandidate, IceServer, PeerConnection, Platform, SessionDescription } from './platform.js';

/** Default time from the first signal to an open channel before giving up (ICE found no path). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * The sender resumes (bufferedamountlow, or the poll) once the channel's
 * buffer falls to half its high water mark, as the bench's bare-channel floor
 * does (bench/node/raw-process.ts): half a megabyte still in flight keeps the
 * channel busy while the next frames are made.
 */
const LOW_WATER_BYTES = HIGH_WATER_BYTES / 2;
/** Poll interval for bindings without a bufferedamountlow event (and a safety net for those with one). */
const DRAIN_POLL_MS = 5;
const CHANNEL_LABEL = 'peerproc';
/**
 * Longest the offerer holds its own candidates back when its ICE has not
 * connected yet: the answerer may need them (no direct path it can see, TURN).
 */
const CANDIDATE_HOLD_MS = 250;
/** Remote candidates held until both descriptions are set; a real peer sends a handful, a hostile one is cut off. */
const MAX_PENDING_CANDIDATES = 64;
const CHANNEL_ID = 0;

/** Longest wait for the binding's stats when asking which path a connection took. */
const STATS_TIMEOUT_MS = 2_000;

/** The ICE candidate types ('host', 'srflx', 'prflx' or 'relay') of the pair a connection uses. */
export interface PeerPath {
  local: string;
  remote: string;
}

/** What travels inside signaling `signal` messages between two peers. */
export type LinkSignal = { sdp: SessionDescription } | { candidate: IceCandidate | null };

export interface PeerLinkOptions {
  platform: Platform;
  /** The worker offers; the master answers. */
  offerer: boolean;
  iceServers: IceServer[];
  sendSignal(signal: LinkSignal): void;
  connectTimeoutMs?: number;
}

export interface PeerLinkEvents {
  onOpen(): void;
  onFrame(frame: Uint8Array): void;
  onClose(reason: Error | undefined): void;
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** An SDP without its `a=candidate` / `a=end-of-candidates` lines (some stacks put gathered candidates there). */
export function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .join('\r\n');
}

/** Validates a signal that came from the network. */
export function parseLinkSignal(data: unknown): LinkSignal {
  if (typeof data === 'object' && data !== null) {
    const d = data as Record<string, unknown>;
    const sdp = d.sdp as Record<string, unknown> | undefined;
    if (sdp && (sdp.type === 'offer' || sdp.type === 'answer') && typeof sdp.sdp === 'string') {
      return { sdp: { type: sdp.type, sdp: sdp.sdp } };
    }
    if ('candidate' in d) {
      const c = d.candidate as Record<string, unknown> | null;
      if (c === null) return { candidate: null };
      if (typeof c === 'object' && typeof c.candidate === 'string') {
        // Some stacks send no sdpMLineIndex (node-datachannel) and libwebrtc refuses a null one: a link has a
        // single media section, so index 0 is always right when the sender left it out.
        const index = Number.isInteger(c.sdpMLineIndex) ? (c.sdpMLineIndex as number) : 0;
        return {
          candidate: {
            candidate: c.candidate,
            sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : null,
            sdpMLineIndex: index,
          },
        };
      }
    }
  }
  throw new ProtocolError('malformed signal from peer: expected {sdp:{type,sdp}} or {candidate}');
}

/**
 * The selected candidate pair's types from a W3C stats report (a maplike of
 * stats objects): the transport's selectedCandidatePairId, or else the
 * pair flagged `selected` (Firefox) or nominated and succeeded.
 */
export function selectedPathOf(report: unknown): PeerPath | undefined {
  const stats = new Map<string, Record<string, unknown>>();
  const each = (report as { forEach?: unknown } | null)?.forEach;
  if (typeof each !== 'function') return undefined;
  each.call(report, (value: unknown) => {
    const stat = value as Record<string, unknown> | null;
    if (stat && typeof stat.id === 'string') stats.set(stat.id, stat);
  });
  const all = [...stats.values()];
  const transportPair = all.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string');
  const pair =
    (transportPair && stats.get(transportPair.selectedCandidatePairId as string)) ??
    all.find((s) => s.type === 'candidate-pair' && s.selected === true) ??
    all.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
  const local = pair && stats.get(pair.localCandidateId as string)?.candidateType;
  const remote = pair && stats.get(pair.remoteCandidateId as string)?.candidateType;
  return typeof local === 'string' && typeof remote === 'string' ? { local, remote } : undefined;
}

export class PeerLink implements FrameChannel {
  readonly #pc: PeerConnection;
  /** The answerer makes its channel only once the offer is in (see #createChannel). */
  #channel: DataChannel | undefined;
  readonly #options: PeerLinkOptions;
  #events: PeerLinkEvents | undefined;
  #pendingCandidates: IceCandidate[] = [];
  /** The remote description arrived (a second one is a protocol error). */
  #remoteSet = false;
  /**
   * Both descriptions are in place, so remote candidates can be added. Until
   * then they wait: libdatachannel refuses a candidate that arrives between the
   * answerer's setRemoteDescription and its own answer ("Got a remote candidate
   * without ICE transport").
   */
  #candidatesAccepted = false;
  /** The offerer's own candidates, held back until its ICE is connected or CANDIDATE_HOLD_MS passed. */
  #heldCandidates: Array<IceCandidate | null> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #opened = false;
  #hasLowEvent = false;

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.#pc = new options.platform.RTCPeerConnection({ iceServers: options.iceServers });
    if (options.offerer) {
      this.#heldCandidates = [];
      this.#createChannel();
    }
    this.#pc.onicecandidate = (event) => {
      if (this.#closed) return;
      const c = event.candidate;
      const json = c && 'toJSON' in c && typeof c.toJSON === 'function' ? c.toJSON() : (c as IceCandidate | null);
      // Some stacks signal end-of-candidates with an empty string; nothing to send then.
      if (json && !json.candidate) return;
      if (this.#heldCandidates) this.#heldCandidates.push(json ?? null);
      else options.sendSignal({ candidate: json ?? null });
    };
    this.#pc.onconnectionstatechange = () => {
      if (this.#pc.connectionState === 'failed') {
        this.#fail(new ConnectTimeoutError('ICE failed: the peers found no network path to each other'));
      }
    };
    this.#pc.oniceconnectionstatechange = () => {
      const state = this.#pc.iceConnectionState;
      if (state === 'connected' || state === 'completed') this.#releaseCandidates();
    };
  }

  /**
   * The pre-negotiated channel. The offerer makes it before its offer (the
   * offer must carry the data section); the answerer only after applying the
   * offer: a channel made earlier makes libdatachannel start an offer of its
   * own, and its ICE agent then takes the controlling role too; the master
   * wins the role conflict and, as the DTLS client, reaches ICE-connected
   * first, which is when libdatachannel's OpenSSL transport loses the early
   * ClientHello and waits out a 1 s retransmit (measured: 8-29 % of setups).
   */
  #createChannel(): void {
    const channel = this.#pc.createDataChannel(CHANNEL_LABEL, { negotiated: true, id: CHANNEL_ID, ordered: true });
    this.#channel = channel;
    channel.binaryType = 'arraybuffer';
    this.#hasLowEvent = typeof channel.bufferedAmountLowThreshold === 'number';
    if (this.#hasLowEvent) channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    channel.onopen = () => {
      if (this.#closed) return;
      this.#opened = true;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#events?.onOpen();
    };
    channel.onmessage = (event) => {
      if (this.#closed) return;
      const bytes = toBytes(event.data);
      if (!bytes) {
        this.#fail(new ProtocolError(`peer sent a ${typeof event.data} message; only binary frames are allowed`));
        return;
      }
      this.#events?.onFrame(bytes);
    };
    channel.onclose = () => this.#fail(undefined);
    // Some bindings report the far end's close as an error ("User-Initiated Abort"): treat it as a close.
    channel.onerror = () => this.#fail(undefined);
  }

  /** Sends the offerer's held candidates (its ICE is connected, or the answerer may need them to find a path). */
  #releaseCandidates(): void {
    if (this.#holdTimer !== undefined) clearTimeout(this.#holdTimer);
    const held = this.#heldCandidates;
    this.#heldCandidates = undefined;
    if (this.#closed || !held) return;
    for (const candidate of held) this.#options.sendSignal({ candidate });
  }

  /** Starts negotiating; `events` receive the open channel, its frames and its end. */
  start(events: PeerLinkEvents): void {
    this.#events = events;
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#timer = setTimeout(() => {
      const state = this.#pc.iceConnectionState ?? this.#pc.connectionState ?? 'unknown';
      this.#fail(
        new ConnectTimeoutError(
          `peer connection not established within ${timeoutMs} ms (ICE state: ${state}); ` +
            'the peers may have no network path to each other (configure a TURN server)',
        ),
      );
    }, timeoutMs);
    if (this.#options.offerer) void this.#offer();
  }

  async #offer(): Promise<void> {
    try {
      const offer = await this.#pc.createOffer();
      await this.#pc.setLocalDescription(offer);
      // The offer goes without candidates and they follow once our ICE is connected: the answerer
      // finds us from our checks (as a peer-reflexive candidate) and answers before its own DTLS
      // handshake can race ours. They follow anyway after CANDIDATE_HOLD_MS (a path only they open, e.g. TURN).
      const description = this.#localDescription();
      this.#options.sendSignal({ sdp: { type: description.type, sdp: withoutCandidates(description.sdp ?? '') } });
      this.#holdTimer = setTimeout(() => this.#releaseCandidates(), CANDIDATE_HOLD_MS);
    } catch (err) {
      this.#fail(new ProtocolError(`could not create the offer: ${(err as Error).message}`, { cause: err }));
    }
  }

  /** Feeds a signal from the other peer (already validated with parseLinkSignal). */
  async handleSignal(signal: LinkSignal): Promise<void> {
    if (this.#closed) return;
    try {
      if ('sdp' in signal) {
        const expected = this.#options.offerer ? 'answer' : 'offer';
        if (signal.sdp.type !== expected || this.#remoteSet) {
          throw new ProtocolError(`unexpected ${signal.sdp.type} from peer`);
        }
        this.#remoteSet = true;
        await this.#pc.setRemoteDescription(signal.sdp);
        if (!this.#options.offerer) {
          this.#createChannel();
          const answer = await this.#pc.createAnswer();
          await this.#pc.setLocalDescription(answer);
          this.#options.sendSignal({ sdp: this.#localDescription() });
        }
        // Candidates that came meanwhile go in first, in order; later ones go straight in.
        while (this.#pendingCandidates.length > 0 && !this.#closed) {
          await this.#pc.addIceCandidate(this.#pendingCandidates.shift() as IceCandidate);
        }
        this.#candidatesAccepted = true;
      } else if (signal.candidate) {
        if (this.#candidatesAccepted) await this.#pc.addIceCandidate(signal.candidate);
        else if (this.#pendingCandidates.length < MAX_PENDING_CANDIDATES)
          this.#pendingCandidates.push(signal.candidate);
      }
    } catch (err) {
      this.#fail(err instanceof ProtocolError ? err : new ProtocolError(`bad signal: ${(err as Error).message}`));
    }
  }

  #localDescription(): SessionDescription {
    const d = this.#pc.localDescription as SessionDescription;
    return { type: d.type, sdp: d.sdp };
  }

  /** DTLS fingerprints of this end and the other, from the descriptions in use. */
  fingerprints(): { local: string; remote: string } {
    return {
      local: sdpFingerprint(this.#pc.localDescription?.sdp ?? ''),
      remote: sdpFingerprint(this.#pc.remoteDescription?.sdp ?? ''),
    };
  }

  /** Which path the open connection took (e.g. relay <-> relay); undefined if the binding does not say. */
  async selectedPath(): Promise<PeerPath | undefined> {
    if (!this.isOpen || typeof this.#pc.getStats !== 'function') return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const report = await Promise.race([
        this.#pc.getStats(),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), STATS_TIMEOUT_MS);
        }),
      ]);
      return selectedPathOf(report);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.#opened && !this.#closed;
  }

  get bufferedAmount(): number {
    return this.#channel?.bufferedAmount ?? 0;
  }

  send(frame: Uint8Array): void {
    if (this.#closed) return;
    try {
      if (!this.#channel) throw new Error('no data channel yet');
      this.#channel.send(frame);
    } catch (err) {
      // A send fails when the channel closed under us (the peer hung up while we were frozen, or the
      // association died): that is the end of the connection, not a breach of the protocol.
      this.#fail(
        new ConnectionClosedError(`data channel closed while sending: ${(err as Error).message}`, { cause: err }),
      );
    }
  }

  onDrain(callback: () => void): void {
    const channel = this.#channel;
    if (!channel) return;
    let done = false;
    let poll: ReturnType<typeof setTimeout> | undefined;
    const fire = (): void => {
      if (done) return;
      done = true;
      if (poll !== undefined) clearTimeout(poll);
      if (this.#hasLowEvent) channel.onbufferedamountlow = null;
      callback();
    };
    const check = (): void => {
      if (this.#closed) return;
      if (channel.bufferedAmount <= LOW_WATER_BYTES) fire();
      else poll = setTimeout(check, DRAIN_POLL_MS);
    };
    if (this.#hasLowEvent) channel.onbufferedamountlow = fire;
    poll = setTimeout(check, DRAIN_POLL_MS);
  }

  close(): void {
    this.#fail(undefined);
  }

  #fail(reason: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#holdTimer !== undefined) clearTimeout(this.#holdTimer);
    this.#pc.onicecandidate = null;
    if (this.#channel) this.#channel.onmessage = null;
    try {
      this.#channel?.close();
    } catch {}
    try {
      this.#pc.close();
    } catch {}
    this.#events?.onClose(reason);
  }
}
