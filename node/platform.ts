/**
 * The Node platform: a WebRTC binding plus the `ws` WebSocket client.
 *
 * Default binding: node-datachannel (libdatachannel), chosen by measurement
 * (docs/design.md, figures in docs/performance.md): about 40x the small-message rate of @roamhq/wrtc
 * here and a third of its memory per connection. @roamhq/wrtc (libwebrtc) can
 * be picked with PEERPROC_WEBRTC=wrtc or `loadPlatform('wrtc')` when installed.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { IceServer as NativeIceServer } from 'node-datachannel';
import { ConfigError } from '../shared/errors.js';
import type {
  IceServer,
  PeerConnectionConstructor,
  Platform,
  WebSocketConstructor,
} from '../shared/webrtc/platform.js';
import { isMissingPackage, MissingPackageError } from './optional-packages.js';

/** An optional package, or undefined when it is not installed (any other failure to load is thrown). */
async function optional<T>(name: string, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if (isMissingPackage(err, name)) return undefined;
    throw err;
  }
}

// Loaded once, at import: node-datachannel and ws are optional peer dependencies (see optional-packages.ts).
// Both ship CommonJS builds, and require() loads them in about half the time
// of import() (which runs Node's CommonJS lexer over every file of ws): 12
// against 30 ms for ws here, on a worker's path from spawn to first task.
const require = createRequire(import.meta.url);
const datachannel = await optional('node-datachannel', async () => ({
  native: require('node-datachannel') as typeof import('node-datachannel'),
  polyfill: require('node-datachannel/polyfill') as typeof import('node-datachannel/polyfill'),
}));
const ws = await optional('ws', async () => require('ws') as typeof import('ws'));

const NodeWebSocket = ws?.WebSocket as unknown as WebSocketConstructor | undefined;

function requireWebSocket(): WebSocketConstructor {
  if (NodeWebSocket) return NodeWebSocket;
  throw new MissingPackageError(['ws'], 'peerproc in Node (its WebSocket client)');
}

export type BindingName = 'node-datachannel' | 'wrtc';
export const BINDING_NAMES: readonly BindingName[] = ['node-datachannel', 'wrtc'];

const TURN_URL = /^(turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i;

/**
 * The ICE servers in libdatachannel's form. The polyfill hands TURN credentials
 * to libdatachannel inside the URL (`turn:USER:PASS@host`), which cannot carry
 * a colon in the username, and the ephemeral usernames of the TURN REST API
 * (what `peerproc signal --turn-secret` issues) are `expiry:peer`. So TURN
 * servers with credentials go as {hostname, port, username, password} objects.
 */
function nativeIceServers(servers: IceServer[]): Array<string | NativeIceServer> {
  return servers.flatMap((server) => {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    return urls.map((url): string | NativeIceServer => {
      const m = TURN_URL.exec(url);
      if (!m || server.username === undefined || server.credential === undefined) return url;
      const tls = m[1]?.toLowerCase() === 'turns';
      return {
        hostname: (m[2] ?? '').replace(/^\[|\]$/g, ''),
        port: Number(m[3] ?? (tls ? 5349 : 3478)),
        username: server.username,
        password: server.credential,
        relayType: tls ? 'TurnTls' : m[4]?.toLowerCase() === 'tcp' ? 'TurnTcp' : 'TurnUdp',
      };
    });
  });
}

/** node-datachannel's W3C polyfill, with TURN credentials passed so that any username works. */
function dataChannelPeerConnection(lib: NonNullable<typeof datachannel>): PeerConnectionConstructor {
  const { RTCPeerConnection: PolyfillPeerConnection } = lib.polyfill;
  class DataChannelPeerConnection extends PolyfillPeerConnection {
    constructor(config: { iceServers?: IceServer[] } = {}) {
      const native = nativeIceServers(config.iceServers ?? []);
      const withObjects = native.some((s) => typeof s !== 'string');
      super({
        ...config,
        ...(withObjects && {
          peerConnection: new lib.native.PeerConnection(`peer-${randomUUID()}`, { iceServers: native }),
        }),
      } as ConstructorParameters<typeof PolyfillPeerConnection>[0]);
    }
  }
  return DataChannelPeerConnection as unknown as PeerConnectionConstructor;
}

/** The default platform (node-datachannel), or undefined when node-datachannel or a WebSocket client is missing. */
export const nodeDataChannelPlatform: Platform | undefined =
  datachannel && NodeWebSocket
    ? { name: 'node-datachannel', RTCPeerConnection: dataChannelPeerConnection(datachannel), WebSocket: NodeWebSocket }
    : undefined;

/** The default platform; a MissingPackageError saying what to install when its packages are missing. */
export function defaultPlatform(): Platform {
  if (nodeDataChannelPlatform) return nodeDataChannelPlatform;
  const missing = [...(datachannel ? [] : ['node-datachannel']), ...(NodeWebSocket ? [] : ['ws'])];
  throw new MissingPackageError(missing, 'peerproc in Node (its default WebRTC binding and WebSocket client)');
}

/** The platform for a binding name (`PEERPROC_WEBRTC` by default). */
export async function loadPlatform(
  name: string = process.env.PEERPROC_WEBRTC ?? 'node-datachannel',
): Promise<Platform> {
  if (name === 'node-datachannel') return defaultPlatform();
  if (name === 'wrtc') {
    const mod = await optional('@roamhq/wrtc', () => import('@roamhq/wrtc'));
    if (!mod) {
      throw new MissingPackageError(['@roamhq/wrtc'], "the WebRTC binding 'wrtc'");
    }
    const wrtc = ((mod as { default?: unknown }).default ?? mod) as { RTCPeerConnection: unknown };
    return {
      name: 'wrtc',
      RTCPeerConnection: wrtc.RTCPeerConnection as PeerConnectionConstructor,
      WebSocket: requireWebSocket(),
    };
  }
  throw new ConfigError(`unknown WebRTC binding ${JSON.stringify(name)}; choose one of ${BINDING_NAMES.join(', ')}`);
}
