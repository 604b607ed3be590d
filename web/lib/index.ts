/**
 * peerproc for browsers: the shared core with the browser's own RTCPeerConnection
 * and WebSocket. Same API as the Node entry point (node/index.ts).
 */
import {
  type BaseManager as BaseManagerType,
  baseManagerFor,
  type PlatformManagerOptions,
  type RegisterOptions,
} from '../../shared/manager.js';
import type { PeerConnectionConstructor, Platform, WebSocketConstructor } from '../../shared/rtc.js';

export { generateAuthkey, shortAuthkeyWarning, workerCommand, workerPageLink } from '../../shared/authkey.js';
export * from '../../shared/errors.js';
export type { ManagerEvent } from '../../shared/events.js';
export { FirstAnswers } from '../../shared/first-answers.js';
export { consoleLogger, type Logger, silentLogger } from '../../shared/logger.js';
export type { WorkerInfo } from '../../shared/master-host.js';
export type { ManagerOptions } from '../../shared/options.js';
export { type ProxyInfo, type ProxyOf, proxyInfo } from '../../shared/proxy.js';
export { type DeadLetter, JoinableQueue, Queue, type QueueEntry, type QueueOptions } from '../../shared/queue.js';
export { parseAddress } from '../../shared/signaling-protocol.js';
export type { RegisterOptions };

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
