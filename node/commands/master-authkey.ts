/**
 * The `peerproc master` authkey: the one given (`--authkey`, PEERPROC_AUTHKEY),
 * with a one-line warning when it is short; otherwise a generated 128-bit key,
 * printed once, with the worker link and the `peerproc worker` command that
 * carry it. All of it on stderr: stdout keeps the example's transcript.
 */

import { ConfigError } from '../../shared/errors.js';
import { generateAuthkey, shortAuthkeyWarning, workerCommand, workerPageLink } from '../../shared/manager/authkey.js';
import { parseAddress } from '../../shared/signaling/protocol.js';

export function masterAuthkey(
  values: Record<string, unknown>,
  address: string,
  err: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): string {
  const given = values.authkey ?? process.env.PEERPROC_AUTHKEY;
  if (typeof given === 'string' && given !== '') {
    const warning = shortAuthkeyWarning(given);
    if (warning) err(`peerproc master: ${warning}`);
    return given;
  }
  try {
    parseAddress(address);
  } catch (e) {
    throw new ConfigError(`option 'address': ${(e as Error).message}`);
  }
  const authkey = generateAuthkey();
  err('peerproc master: no --authkey given; generated one for this run (shown only here):');
  err(`  authkey:        ${authkey}`);
  err(`  worker page:    ${workerPageLink(address, authkey)}`);
  err(`  worker command: ${workerCommand(address, authkey)}`);
  return authkey;
}
