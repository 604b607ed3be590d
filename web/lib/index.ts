/**
 * peerproc for browsers: the shared public API (shared/index.ts) with the
 * browser's own RTCPeerConnection and WebSocket; node/index.ts adds Node's.
 */
import {
  type BaseManager as BaseManagerType,
  baseManagerFor,
  type PlatformManagerOptions,
} from '../../shared/manager/manager.js';
import { type SyncManager as SyncManagerType, syncManagerFor } from '../../shared/sync/manager.js';
import type { PeerConnectionConstructor, Platform, WebSocketConstructor } from '../../shared/webrtc/platform.js';

export * from '../../shared/index.js';

const scope = globalThis as unknown as { RTCPeerConnection?: unknown; WebSocket?: unknown };

export const browserPlatform: Platform = {
  name: 'browser',
  RTCPeerConnection: scope.RTCPeerConnection as PeerConnectionConstructor,
  WebSocket: scope.WebSocket as WebSocketConstructor,
};

export type BrowserManagerOptions = PlatformManagerOptions;

/** Python's BaseManager, with the browser's own WebRTC: the same API as in Node. */
export const BaseManager = baseManagerFor(browserPlatform);
export type BaseManager<R extends object = Record<never, never>> = BaseManagerType<R>;

/** Python's SyncManager, with the browser's own WebRTC (shared/sync/). */
export const SyncManager = syncManagerFor(BaseManager);
export type SyncManager<R extends object = Record<never, never>> = SyncManagerType<R>;
