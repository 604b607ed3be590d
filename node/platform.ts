/**
 * The Node platform: a WebRTC binding plus the `ws` WebSocket client.
 *
 * Default binding: node-datachannel (libdatachannel), chosen by measurement
 * (docs/design.md, figures in docs/performance.md): about 40x the small-message rate of @roamhq/wrtc
 * here and a third of its memory per connection. @roamhq/wrtc (libwebrtc) can
 * be picked with PEERPROC_WEBRTC=wrtc or `loadPlatform('wrtc')` when installed.
 */
import { randomUUID } from 'node:crypto';
import { type IceServer as NativeIceServer, PeerConnection as NativePeerConnection } from 'node-datachannel';
import { RTCPeerConnection as PolyfillPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import { ConfigError } from '../shared/errors.js';
import type {
  IceServer,
  PeerConnectionConstructor,
  Platform,
  WebSocketConstructor,
} from '../shared/webrtc/platform.js';

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
class DataChannelPeerConnection extends PolyfillPeerConnection {
  constructor(config: { iceServers?: IceServer[] } = {}) {
    const native = nativeIceServers(config.iceServers ?? []);
    const withObjects = native.some((s) => typeof s !== 'string');
    super({
      ...config,
      ...(withObjects && { peerConnection: new NativePeerConnection(`peer-${randomUUID()}`, { iceServers: native }) }),
    } as ConstructorParameters<typeof PolyfillPeerConnection>[0]);
  }
}

export const nodeDataChannelPlatform: Platform = {
  name: 'node-datachannel',
  RTCPeerConnection: DataChannelPeerConnection as unknown as PeerConnectionConstructor,
  WebSocket: WebSocket as unknown as WebSocketConstructor,
};

/** The platform for a binding name (`PEERPROC_WEBRTC` by default). */
export async function loadPlatform(
  name: string = process.env.PEERPROC_WEBRTC ?? 'node-datachannel',
): Promise<Platform> {
  if (name === 'node-datachannel') return nodeDataChannelPlatform;
  if (name === 'wrtc') {
    let wrtc: { RTCPeerConnection: unknown };
    try {
      const mod = (await import('@roamhq/wrtc')) as { default?: { RTCPeerConnection: unknown } };
      wrtc = (mod.default ?? mod) as { RTCPeerConnection: unknown };
    } catch (err) {
      throw new ConfigError(`WebRTC binding 'wrtc' needs the @roamhq/wrtc package: ${(err as Error).message}`);
    }
    return {
      name: 'wrtc',
      RTCPeerConnection: wrtc.RTCPeerConnection as PeerConnectionConstructor,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    };
  }
  throw new ConfigError(`unknown WebRTC binding ${JSON.stringify(name)}; choose one of ${BINDING_NAMES.join(', ')}`);
}
