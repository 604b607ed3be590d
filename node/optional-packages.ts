/**
 * Node-only packages are optional peer dependencies, so that a browser app
 * installing peerproc gets no WebRTC binaries for Node: node-datachannel and
 * ws for the Node library and CLI, pino and ws for the signaling server,
 * @roamhq/wrtc for `--webrtc wrtc`. This module loads one if it is installed
 * and says how to install it if not, with the version package.json pins
 * (its peerDependencies are the one source of those versions).
 */
import { PeerprocError } from '../shared/errors.js';
import { packageManifest } from './package-manifest.js';

/** An optional package a feature needs is not installed; the message has the `npm install` line. */
export class MissingPackageError extends PeerprocError {
  override name = 'MissingPackageError';
  readonly code = 'MISSING_PACKAGE';

  constructor(
    readonly packages: readonly string[],
    what: string,
  ) {
    super(
      `${what} needs the ${packages.join(' and ')} package${packages.length > 1 ? 's' : ''}: ${installCommand(packages)}`,
    );
  }
}

/** `npm install node-datachannel@0.33.4 ws@8.23.0` for the given packages. */
export function installCommand(names: readonly string[]): string {
  const versions = packageManifest().peerDependencies ?? {};
  return `npm install ${names.map((n) => (versions[n] ? `${n}@${versions[n]}` : n)).join(' ')}`;
}

/** True when `err` says that `name` (or one of its files) could not be found. */
export function isMissingPackage(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    (e.message.includes(`'${name}'`) || e.message.includes(`'${name}/`) || e.message.includes(`/${name}/`))
  );
}

/** The optional packages (peerDependenciesMeta in package.json). */
export const OPTIONAL_PACKAGES: readonly string[] = ['node-datachannel', 'ws', 'pino', '@roamhq/wrtc'];

/** The optional packages `err` says are missing (none if it is another error). */
export function missingPackages(err: unknown): string[] {
  return OPTIONAL_PACKAGES.filter((name) => isMissingPackage(err, name));
}
