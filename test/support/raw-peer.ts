/**
 * A hand-driven worker for hostile-input tests: a real peer connection to a
 * real master, but the test decides every frame it sends.
 */

import { defaultPlatform } from '../../node/platform.js';
import { randomPeerId } from '../../shared/manager/options.js';
import { SignalingClient } from '../../shared/signaling/client.js';
import { parseAddress } from '../../shared/signaling/protocol.js';
import { PeerLink, parseLinkSignal } from '../../shared/webrtc/peer-link.js';
import { authkeyBytes, Handshake } from '../../shared/wire/auth.js';

export interface RawPeer {
  /** Frames received from the master, in order. */
  received: Uint8Array[];
  send(frame: Uint8Array): void;
  /** Runs the worker side of the handshake with `authkey`; resolves when the master welcomed us. */
  authenticate(authkey: string): Promise<void>;
  closed: Promise<void>;
  close(): void;
}

/** Attempts at opening the raw peer connection (node-datachannel fails about one setup in 300). */
const ATTEMPTS = 3;

export async function connectRawPeer(address: string): Promise<RawPeer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      return await connectOnce(address);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function connectOnce(address: string): Promise<RawPeer> {
  const { url } = parseAddress(address);
  let link: PeerLink | undefined;
  let masterId = '';
  let onMaster: (id: string) => void = () => {};
  const signaling = new SignalingClient({
    platform: defaultPlatform(),
    url,
    role: 'worker',
    id: randomPeerId(),
    onMessage: (m) => {
      if (m.type === 'master') onMaster(m.peer);
      if (m.type === 'signal' && link) void link.handleSignal(parseLinkSignal(m.data));
    },
    onDisconnect: () => {},
  });
  const masterPromise = new Promise<string>((resolve) => {
    onMaster = resolve;
  });
  await signaling.connect();
  masterId = await masterPromise;
  const received: Uint8Array[] = [];
  let frameListener: ((frame: Uint8Array) => void) | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const opened = new Promise<void>((resolve, reject) => {
    link = new PeerLink({
      platform: defaultPlatform(),
      offerer: true,
      iceServers: [],
      sendSignal: (data) => signaling.send({ type: 'signal', to: masterId, data }),
    });
    link.start({
      onOpen: resolve,
      onFrame: (frame) => {
        received.push(frame.slice());
        frameListener?.(frame);
      },
      onClose: (reason) => {
        reject(reason ?? new Error('closed before opening'));
        resolveClosed();
      },
    });
  });
  try {
    await opened;
  } catch (err) {
    signaling.close();
    throw err;
  }
  const peer = link as PeerLink;
  return {
    received,
    send: (frame) => peer.send(frame),
    closed,
    close: () => {
      peer.close();
      signaling.close();
    },
    authenticate: (authkey) =>
      new Promise<void>((resolve, reject) => {
        const { local, remote } = peer.fingerprints();
        const handshake = new Handshake('worker', authkeyBytes(authkey), { master: remote, worker: local }, (f) =>
          peer.send(f),
        );
        const feed = (frame: Uint8Array) => {
          try {
            if (handshake.receive(frame)) {
              frameListener = undefined;
              resolve();
            }
          } catch (err) {
            reject(err);
          }
        };
        frameListener = feed;
        handshake.start();
        for (const frame of received) feed(frame); // the master's nonce may already be here
      }),
  };
}
