/**
 * Plain HTTP on the signaling port: `GET /healthz`, `GET /metrics`
 * (Prometheus text), the static web pages when a folder is configured, and
 * 404 for the rest. WebSocket upgrades never come here (see server.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ClusterStats } from './directory.js';
import { serveStatic } from './static-files.js';
import { parseRequestTarget, redactUrl } from './upgrade-request.js';

/** The Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface HttpDeps {
  readonly staticDir: string | undefined;
  readonly metrics: () => string;
  readonly isShuttingDown: () => boolean;
  /** Cluster mode: whether Redis is reachable; undefined for a single process. */
  readonly cluster: () => ClusterStats | undefined;
  readonly log: Logger;
}

export function createHttpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.log.error({ err, url: redactUrl(req.url) }, 'http handler failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // At debug level, every plain request is logged (how the job sandbox test sees that nothing came from a job).
  deps.log.debug({ method: req.method, url: redactUrl(req.url) }, 'http request');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  const url = parseRequestTarget(req.url);
  if (!url) {
    reply(res, 400, 'bad request\n');
    return;
  }
  switch (url.pathname) {
    case '/healthz': {
      // 503 while stopping, or while a cluster node cannot reach Redis, so a load balancer takes it out.
      const cluster = deps.cluster();
      if (deps.isShuttingDown()) reply(res, 503, '{"status":"shutting-down"}\n', JSON_TYPE);
      else if (!cluster) reply(res, 200, '{"status":"ok"}\n', JSON_TYPE);
      else {
        const body = cluster.redisUp
          ? { status: 'ok', redis: 'up', node: cluster.node, nodes: cluster.nodes }
          : { status: 'unavailable', redis: 'down', node: cluster.node };
        reply(res, cluster.redisUp ? 200 : 503, `${JSON.stringify(body)}\n`, JSON_TYPE);
      }
      return;
    }
    case '/metrics':
      reply(res, 200, deps.metrics(), { 'Content-Type': METRICS_CONTENT_TYPE });
      return;
  }
  if (deps.staticDir !== undefined) {
    const result = await serveStatic(deps.staticDir, url.pathname, req, res);
    if (result === 'served') return;
    if (result === 'bad-path') {
      reply(res, 400, 'bad path\n');
      return;
    }
  }
  reply(res, 404, 'not found\n');
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
