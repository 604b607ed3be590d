/**
 * A squatting master for security tests: it registers as a room's master
 * while the room has none, takes every waiting worker's connection, plays the
 * master's side of the CPace handshake with a guessed key (built from
 * shared/cpace.ts, so the test knows its secret scalar), and records
 * everything the worker sent. The worker then refuses it; what the squatter
 * keeps is exactly what an attacker in the master seat would have to work with.
 */
import { defaultPlatform } from '../../node/platform.js';
import { randomPeerId } from '../../shared/manager/options.js';
import { SignalingClient } from '../../shared/signaling/client.js';
import { parseAddress } from '../../shared/signaling/protocol.js';
import { PeerLink, parseLinkSignal } from '../../shared/webrtc/peer-link.js';
import { authkeyBytes, type ChannelBinding, channelIdentifier, PROTOCOL_VERSION } from '../../shared/wire/auth.js';
import {
  calculateGenerator,
  confirmationTag,
  intermediateSessionKey,
  macKey,
  sampleScalar,
  scalarMult,
  scalarMultVfy,
  transcriptIr,
} from '../../shared/wire/cpace.js';

const NONCE = 0xa1;
const SHARE = 0xa6;
const CONFIRM = 0xa7;
const utf8 = new TextEncoder();

/** What one worker sent the squatter, with the squatter's own secrets for that connection. */
export interface Capture {
  peer: string;
  binding: ChannelBinding;
  masterNonce: Uint8Array;
  /** Every frame the worker sent, in order. */
  frames: Uint8Array[];
  workerNonce?: Uint8Array;
  workerShare?: Uint8Array;
  workerTag?: Uint8Array;
  /** The squatter's scalar and the key it guessed. */
  yb: bigint;
  guess: Uint8Array;
  closed: boolean;
}

export interface Squatter {
  captures: Capture[];
  close(): void;
}

/** `version`: the protocol version the squatter's nonce frame claims (another one plays a master of another release). */
export async function startSquatter(
  address: string,
  guessedKey: string,
  { version = PROTOCOL_VERSION }: { version?: number } = {},
): Promise<Squatter> {
  const { url } = parseAddress(address);
  const links = new Map<string, PeerLink>();
  const captures: Capture[] = [];
  let signaling: SignalingClient | undefined;

  const accept = (peer: string) => {
    const link = new PeerLink({
      platform: defaultPlatform(),
      offerer: false,
      iceServers: [],
      sendSignal: (data) => signaling?.send({ type: 'signal', to: peer, data }),
    });
    links.set(peer, link);
    const capture: Capture = {
      peer,
      binding: { master: '', worker: '' },
      masterNonce: crypto.getRandomValues(new Uint8Array(32)),
      frames: [],
      yb: sampleScalar(),
      guess: authkeyBytes(guessedKey),
      closed: false,
    };
    captures.push(capture);
    let myShare: Uint8Array | undefined;
    link.start({
      onOpen: () => {
        const { local, remote } = link.fingerprints();
        capture.binding = { master: local, worker: remote };
        link.send(Uint8Array.of(NONCE, version, ...capture.masterNonce));
      },
      onFrame: (frame) => {
        capture.frames.push(frame.slice());
        if (frame[0] === NONCE && frame.length === 34) {
          capture.workerNonce = frame.slice(2);
          const g = calculateGenerator(capture.guess, channelIdentifier(capture.binding), sid(capture));
          myShare = scalarMult(capture.yb, g);
          link.send(Uint8Array.of(SHARE, ...myShare));
        } else if (frame[0] === SHARE && frame.length === 33 && myShare) {
          capture.workerShare = frame.slice(1);
          // Confirm under the guessed key, as a squatter that guessed would.
          const key = squatterMacKey(capture, myShare);
          link.send(Uint8Array.of(CONFIRM, ...confirmationTag(key, myShare, utf8.encode('master'))));
        } else if (frame[0] === CONFIRM && frame.length === 65) {
          capture.workerTag = frame.slice(1);
        }
      },
      onClose: () => {
        capture.closed = true;
      },
    });
  };

  signaling = new SignalingClient({
    platform: defaultPlatform(),
    url,
    role: 'master',
    id: randomPeerId(),
    onMessage: (m) => {
      if (m.type === 'peer') accept(m.peer);
      else if (m.type === 'signal') void links.get(m.from)?.handleSignal(parseLinkSignal(m.data));
    },
    onDisconnect: () => {},
  });
  await signaling.connect();
  return {
    captures,
    close: () => {
      for (const link of links.values()) link.close();
      signaling?.close();
    },
  };
}

export function sid(capture: Capture): Uint8Array {
  return Uint8Array.from([...capture.masterNonce, ...(capture.workerNonce ?? [])]);
}

/** The MAC key the squatter derives: K = yb·Ya with its own share Yb = yb·g(guess). */
export function squatterMacKey(capture: Capture, myShare: Uint8Array): Uint8Array {
  const ya = capture.workerShare as Uint8Array;
  const k = scalarMultVfy(capture.yb, ya);
  const isk = intermediateSessionKey(
    sid(capture),
    k,
    transcriptIr(ya, utf8.encode('worker'), myShare, utf8.encode('master')),
  );
  return macKey(sid(capture), isk);
}

/**
 * An offline test of a candidate key against a captured transcript, as the
 * squatter can run it: rebuild its share for the candidate and the ISK from
 * its own scalar and the worker's share, then compare the worker's tag.
 */
export function candidateMatches(capture: Capture, candidate: string): boolean {
  if (!capture.workerShare || !capture.workerTag) return false;
  const g = calculateGenerator(authkeyBytes(candidate), channelIdentifier(capture.binding), sid(capture));
  const share = scalarMult(capture.yb, g);
  const tag = confirmationTag(squatterMacKey(capture, share), capture.workerShare, utf8.encode('worker'));
  return Buffer.from(tag).equals(Buffer.from(capture.workerTag));
}
