/**
 * Signaling nodes sharing one real redis-server, for the cluster suites:
 * in-process nodes (their stats are at hand) and plain HTTP reads of
 * /healthz and /metrics.
 */
import { request } from 'node:http';
import type { SignalingOptions } from '../../signaling/config.js';
import type { SignalingServer } from '../../signaling/server.js';
import { startTestServer } from './helpers.js';

export async function startNodes(
  redis: string,
  count: number,
  options: Partial<SignalingOptions> = {},
): Promise<SignalingServer[]> {
  const nodes: SignalingServer[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startTestServer({ redis, ...options }));
  return nodes;
}

/** A GET on a node's HTTP port (or any base URL like http://127.0.0.1:PORT). */
export function httpGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** One series' value from a Prometheus text body, or undefined when absent. */
export function metric(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
