/**
 * The Node platform: a WebRTC binding plus the `ws` WebSocket client.
 *
 * Default binding: node-datachannel (libdatachannel), chosen by measurement
 * (docs/webrtc-bindings.md): about 40x the small-message rate of @roamhq/wrtc
 * here and a third of its memory per connection. @roamhq/wrtc (libwebrtc) can
 * be picked with PEERPROC_WEBRTC=wrtc or `loadPlatform('wrtc')` when installed.
 */
import { RTCPeerConnection as DataChannelPeerConnection } from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import { ConfigError } from '../shared/errors.js';
import type { PeerConnectionConstructor, Platform, WebSocketConstructor } from '../shared/rtc.js';

export type BindingName = 'node-datachannel' | 'wrtc';
export const BINDING_NAMES: readonly BindingName[] = ['node-datachannel', 'wrtc'];

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
