/**
 * Where a page connects, from its own URL:
 *   ?address=wss://host/jobs   the full peer address (any signaling server; a comma-separated list of
 *                              servers of one cluster fails over from one to the next)
 *   ?room=jobs                 a room on the server that served the page
 *   #authkey=...               the key, in the fragment: browsers never send it to servers
 */
import { parseAddress } from '../lib/index.js';

export const DEFAULT_ROOM = 'jobs';

export interface PageParams {
  address: string;
  authkey: string;
  room: string;
  params: URLSearchParams;
}

/** `ws(s)://<host of this page>/<room>`, or '' for a page opened from a file. */
export function addressOnThisServer(location: Location, room: string): string {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return '';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/${room}`;
}

export function readPageParams(location: Location): PageParams {
  const params = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const room = params.get('room') || DEFAULT_ROOM;
  const address = params.get('address') || addressOnThisServer(location, room);
  return { address, authkey: fragment.get('authkey') ?? '', room, params };
}

/** A human sentence for a bad address, or undefined when it is fine. */
export function addressProblem(address: string): string | undefined {
  if (!address.trim())
    return 'Enter the address, e.g. ws://host:8080/jobs (or several servers: ws://a/jobs,ws://b/jobs)';
  try {
    parseAddress(address.trim());
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^address must/, 'The address must');
  }
}

/** The room part of an address, for display. */
export function roomOf(address: string): string {
  try {
    return parseAddress(address).room;
  } catch {
    return '';
  }
}

/** The address without secrets (`token` query parameters), for display; each server of a list alike. */
export function displayAddress(address: string): string {
  if (address.includes(',')) return address.split(',').map(displayAddress).join(', ');
  try {
    const url = new URL(address);
    for (const key of [...url.searchParams.keys()]) {
      if (/token|secret|key/i.test(key)) url.searchParams.set(key, '…');
    }
    return decodeURIComponent(url.toString());
  } catch {
    return address;
  }
}
