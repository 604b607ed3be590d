/**
 * Cluster nodes as users run them: `peerproc signal --redis URL` processes
 * (the built CLI) on free loopback ports, and what the tests read from them.
 */
import { expect } from 'vitest';
import { httpGet, metric } from '../signaling/cluster-helpers.js';
import { peerproc, type Run } from '../support/processes.js';

export interface Node {
  run: Run;
  /** `ws://127.0.0.1:PORT` */
  ws: string;
  /** `http://127.0.0.1:PORT` */
  http: string;
  /** The room's address on this node. */
  address(room: string): string;
}

export async function startNode(redis: string, extra: string[] = []): Promise<Node> {
  const run = peerproc([
    'signal',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--redis',
    redis,
    '--log-level',
    'warn',
    ...extra,
  ]);
  const line = await run.waitForLine(/listening on ws:\/\/127\.0\.0\.1:\d+/);
  const ws = /(ws:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1] as string;
  return { run, ws, http: ws.replace(/^ws/, 'http'), address: (room) => `${ws}/${room}` };
}

export async function startNodes(redis: string, count: number): Promise<Node[]> {
  return Promise.all(Array.from({ length: count }, () => startNode(redis)));
}

/** The list form of an address: the room on each node, comma-separated. */
export function addressList(nodes: readonly Node[], room: string): string {
  return nodes.map((node) => node.address(room)).join(',');
}

/** A gauge or counter of one node's /metrics (undefined when the node does not answer). */
export async function nodeMetric(node: Node, series: string): Promise<number | undefined> {
  try {
    return metric((await httpGet(node.http, '/metrics')).body, series);
  } catch {
    return undefined;
  }
}

export async function healthStatus(node: Node): Promise<number> {
  try {
    return (await httpGet(node.http, '/healthz')).status;
  } catch {
    return 0;
  }
}

/** Results the master printed so far. */
export function resultCount(master: Run): number {
  return master.stdout.filter((line) => line.startsWith('Result: ')).length;
}

/** Stops nodes gracefully and expects every one to have kept running and to exit 0. */
export async function stopNodes(nodes: readonly Node[]): Promise<void> {
  for (const node of nodes) {
    expect(node.run.child.exitCode, `a node exited early:\n${node.run.output()}`).toBeNull();
    node.run.child.kill('SIGTERM');
  }
  for (const node of nodes) expect(await node.run.exited, node.run.output()).toBe(0);
}
