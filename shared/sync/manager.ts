/**
 * `SyncManager`: CPython's `multiprocessing.managers.SyncManager` for JS
 * peers. A master serves the SyncManager types (registry.ts); a worker that
 * connects gets typed proxies:
 *
 *   const m = new SyncManager({ address, authkey });
 *   await m.connect();
 *   const d = await m.dict();          // ProxyOf<SharedDict>
 *   await d.set('k', 1);
 *   const lock = await m.Lock();
 *   await lock.acquire();
 */
import type { BaseManager, BaseManagerClass, PlatformManagerOptions } from '../manager/manager.js';
import { type SyncTypes, syncRegistry } from './registry.js';

export type SyncManager<R extends object = Record<never, never>> = BaseManager<SyncTypes & R>;

export interface SyncManagerClass {
  register: BaseManagerClass['register'];
  new <R extends object = Record<never, never>>(options: PlatformManagerOptions): SyncManager<R>;
}

/** The SyncManager class over a platform's BaseManager (node/ and web/ export the result). */
export function syncManagerFor(Base: BaseManagerClass): SyncManagerClass {
  const SyncManagerClass = class SyncManager extends (Base as unknown as new (
    options: PlatformManagerOptions,
  ) => object) {};
  const register = (Base.register as (this: unknown, ...a: Parameters<BaseManagerClass['register']>) => void).bind(
    SyncManagerClass,
  );
  for (const [typeid, registration] of syncRegistry()) {
    register(typeid, registration.callable, { createMethod: registration.createMethod ?? true });
  }
  (SyncManagerClass as unknown as { register: unknown }).register = Base.register;
  return SyncManagerClass as unknown as SyncManagerClass;
}
