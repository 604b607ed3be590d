/**
 * BaseManager: Python's `multiprocessing.managers.BaseManager` over WebRTC.
 *
 *   const manager = new BaseManager<Jobs>({ address: 'ws://host:8080/jobs', authkey: 'abc', platform });
 *   manager.register('get_task_queue', () => taskQueue);   // master: serve an object
 *   await manager.start();                                  // master: take the room
 *   const task = await manager.get_task_queue();            // ProxyOf<Queue<number>>
 *
 * A worker registers the names only and calls `connect()`. Registration is
 * per class (static `register`, copied to subclasses as in Python) or per
 * instance. Each registered typeid becomes a method returning a proxy.
 */

import { ConfigError, ConnectionClosedError, ManagerStateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { queueProxies } from '../queue/proxy.js';
import { localProxy, type ProxyOf, remoteProxy } from '../rpc/proxy.js';
import { exposedMethods, lookupTypeid, type Registry, type TypeRegistration } from '../rpc/registry.js';
import type { Platform } from '../webrtc/platform.js';
import type { Connection } from '../wire/connection.js';
import { EventHub, type ManagerEventListener } from './events.js';
import { MasterHost, type WorkerInfo } from './master-host.js';
import { type ManagerOptions, type ResolvedOptions, randomPeerId, resolveOptions } from './options.js';
import { WorkerClient } from './worker-client.js';

export interface RegisterOptions {
  /** Methods callers may use (default: all public methods of the served object). */
  exposed?: readonly string[];
  /** Methods whose results are served as objects of another typeid and come back as proxies. */
  methodToTypeid?: Readonly<Record<string, string>>;
  /** Add a `manager[typeid]()` method (default true), as Python's `create_method`. */
  createMethod?: boolean;
}

/** For `R = { get_task_queue: Queue<number> }`: `get_task_queue(): Promise<ProxyOf<Queue<number>>>`. */
export type ProxyGetters<R> = { [K in keyof R & string]: (...args: unknown[]) => Promise<ProxyOf<R[K]>> };

type State = 'initial' | 'started' | 'connected' | 'shutdown';

/**
 * For other front ends that serve a manager's objects next to its WebRTC
 * peers (node/python's CPython listener): `manager[managerInternals]()`.
 * Symbol-keyed, so it can never collide with a registered typeid.
 */
export const managerInternals: unique symbol = Symbol.for('peerproc.managerInternals');

export interface ManagerInternals {
  readonly registry: Registry;
  readonly authkey: Uint8Array;
  readonly state: State;
  /** Runs `hook` when the manager shuts down, before its peers are told (once; errors are ignored). */
  onShutdown(hook: () => Promise<void> | void): void;
}

const TYPEID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const registries = new WeakMap<object, Map<string, TypeRegistration & { createMethod: boolean }>>();

function classRegistry(cls: object): Map<string, TypeRegistration & { createMethod: boolean }> {
  let registry = registries.get(cls);
  if (!registry) {
    // As in Python, a subclass starts from a copy of its parent's registry.
    const parent = Object.getPrototypeOf(cls);
    registry = new Map(parent && registries.has(parent) ? classRegistry(parent) : []);
    registries.set(cls, registry);
  }
  return registry;
}

function makeRegistration(
  typeid: string,
  callable: ((...args: never[]) => object) | undefined,
  options: RegisterOptions,
  reserved: object,
): TypeRegistration & { createMethod: boolean } {
  if (typeof typeid !== 'string' || !TYPEID_PATTERN.test(typeid)) {
    throw new ConfigError(`typeid must be an identifier (letters, digits, _), got ${JSON.stringify(typeid)}`);
  }
  if (typeid in reserved) {
    throw new ConfigError(`typeid ${JSON.stringify(typeid)} would hide the manager's own method of that name`);
  }
  if (callable !== undefined && typeof callable !== 'function') {
    throw new ConfigError(`callable for ${JSON.stringify(typeid)} must be a function, got ${typeof callable}`);
  }
  if (
    options.exposed !== undefined &&
    !(Array.isArray(options.exposed) && options.exposed.every((m) => typeof m === 'string'))
  ) {
    throw new ConfigError(`exposed for ${JSON.stringify(typeid)} must be an array of method names`);
  }
  return {
    callable: callable as TypeRegistration['callable'],
    exposed: options.exposed,
    methodToTypeid: options.methodToTypeid,
    createMethod: options.createMethod ?? true,
  };
}

export class ManagerCore<R extends object = Record<never, never>> {
  /** Registers `typeid` for every manager of this class (and its subclasses), like Python's classmethod. */
  static register(typeid: string, callable?: (...args: never[]) => object, options: RegisterOptions = {}): void {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass register() was called on, as in Python.
    classRegistry(this).set(typeid, makeRegistration(typeid, callable, options, ManagerCore.prototype));
  }

  readonly #options: ResolvedOptions;
  readonly #registry: Map<string, TypeRegistration & { createMethod: boolean }>;
  readonly #events = new EventHub();
  #state: State = 'initial';
  #host: MasterHost | undefined;
  #connection: Connection | undefined;
  readonly #shutdownHooks: Array<() => Promise<void> | void> = [];

  constructor(options: ManagerOptions) {
    this.#options = resolveOptions(options);
    this.#registry = new Map(classRegistry(new.target));
    for (const [typeid, registration] of this.#registry) {
      if (registration.createMethod) this.#defineGetter(typeid);
    }
  }

  /** Registers `typeid` on this manager only. Returns the manager for chaining. */
  register(typeid: keyof R & string, callable?: (...args: never[]) => object, options?: RegisterOptions): this;
  register(typeid: string, callable?: (...args: never[]) => object, options?: RegisterOptions): this;
  register(typeid: string, callable?: (...args: never[]) => object, options: RegisterOptions = {}): this {
    if (this.#state !== 'initial') {
      throw new ConfigError(`register(${JSON.stringify(typeid)}) must come before start() or connect()`);
    }
    const registration = makeRegistration(typeid, callable, options, ManagerCore.prototype);
    this.#registry.set(typeid, registration);
    if (registration.createMethod) this.#defineGetter(typeid);
    return this;
  }

  #defineGetter(typeid: string): void {
    Object.defineProperty(this, typeid, {
      value: (...args: unknown[]) => this.proxy(typeid, ...args),
      configurable: true,
      enumerable: false,
      writable: true,
    });
  }

  /** The master's address (signaling URL and room). */
  get address(): string {
    return this.#options.address;
  }

  /** Subscribes to peer events (workers joining and leaving, signaling loss...). Returns an unsubscribe function. */
  on(listener: ManagerEventListener): () => void {
    return this.#events.on(listener);
  }

  /** Master: takes the room and serves the registered objects to workers that prove the authkey. */
  async start(): Promise<void> {
    this.#expectState('initial', 'start()');
    const host = new MasterHost(this.#options, this.#registry, this.#events, randomPeerId());
    await host.start();
    this.#host = host;
    this.#state = 'started';
  }

  /** Worker: connects to the room's master (waiting up to `wait` seconds) and authenticates. */
  async connect(): Promise<void> {
    this.#expectState('initial', 'connect()');
    const connection = await new WorkerClient(this.#options, this.#events).connect();
    this.#connection = connection;
    this.#state = 'connected';
  }

  /** A proxy for a new or shared object of `typeid` (what `manager[typeid]()` returns). */
  async proxy<K extends keyof R & string>(typeid: K, ...args: unknown[]): Promise<ProxyOf<R[K]>>;
  async proxy<T = unknown>(typeid: string, ...args: unknown[]): Promise<ProxyOf<T>>;
  async proxy(typeid: string, ...args: unknown[]): Promise<unknown> {
    if (this.#state === 'started') {
      const registration = lookupTypeid(this.#registry, typeid);
      const obj = (registration.callable as (...a: unknown[]) => object)(...args);
      return localProxy(obj, exposedMethods(obj, registration));
    }
    if (this.#state === 'connected' && this.#connection) {
      const reference = await this.#connection.rpc.create(typeid, args);
      return remoteProxy(this.#connection.rpc, reference, queueProxies(this.#options));
    }
    throw new ConnectionClosedError(
      'CONNECTION_CLOSED',
      this.#state === 'shutdown'
        ? `manager for ${this.address} is shut down`
        : `call start() (master) or connect() (worker) before asking for ${JSON.stringify(typeid)}`,
    );
  }

  /** Master: the workers currently connected (authenticated or not yet). */
  workers(): WorkerInfo[] {
    return this.#host?.workers() ?? [];
  }

  /** @internal For other front ends (node/python): the registry, authkey and shutdown hooks. */
  [managerInternals](): ManagerInternals {
    return {
      registry: this.#registry,
      authkey: this.#options.authkey,
      state: this.#state,
      onShutdown: (hook) => {
        this.#shutdownHooks.push(hook);
      },
    };
  }

  /** Master: tells workers and stops serving. Worker: disconnects. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#state === 'shutdown') return;
    const previous = this.#state;
    this.#state = 'shutdown';
    await Promise.allSettled(this.#shutdownHooks.splice(0).map(async (hook) => hook()));
    if (previous === 'started') await this.#host?.stop('master shut down');
    if (previous === 'connected') await this.#connection?.bye('worker disconnected');
  }

  #expectState(expected: State, what: string): void {
    if (this.#state !== expected) {
      throw new ManagerStateError(`${what} called on a manager that is already ${this.#state}`);
    }
  }
}

/** The manager type users see: its methods plus one proxy getter per registered typeid in `R`. */
export type BaseManager<R extends object = Record<never, never>> = ManagerCore<R> & ProxyGetters<R>;

/** Manager options where the platform is optional (a platform entry point fills in its default). */
export type PlatformManagerOptions = Omit<ManagerOptions, 'platform'> & { platform?: Platform };

/** The BaseManager class users see: `new BaseManager<R>(options)` and the static `register`. */
export interface BaseManagerClass {
  /** Registers a typeid for every manager of this class and its subclasses (Python's classmethod). */
  register: typeof ManagerCore.register;
  new <R extends object = Record<never, never>>(options: PlatformManagerOptions): BaseManager<R>;
}

/**
 * The BaseManager of a platform entry point (node/, web/): `platform` defaults
 * to `defaultPlatform` (a function is called only when no platform is given,
 * so Node's optional WebRTC binding is required only then), `logger` to
 * `defaultLogger`.
 */
export function baseManagerFor(defaultPlatform: Platform | (() => Platform), defaultLogger?: Logger): BaseManagerClass {
  class PlatformManager extends ManagerCore {
    constructor(options: PlatformManagerOptions) {
      const platform =
        options.platform ?? (typeof defaultPlatform === 'function' ? defaultPlatform() : defaultPlatform);
      super({ ...options, platform, logger: options.logger ?? defaultLogger } as ManagerOptions);
    }
  }
  return PlatformManager as unknown as BaseManagerClass;
}
