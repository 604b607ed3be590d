/**
 * The built web pages: `/worker` -> worker.html, `/master` -> master.html,
 * `/` -> index.html, and any other file below the folder (the bundles and
 * assets those pages load; sandbox.html, the job sandbox, with its policy). Files only, never a listing or a dot file; paths
 * that climb out of the folder (`..`, encoded or not, or symlinks pointing
 * outside) are refused.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { SANDBOX_HEADER_POLICY, SANDBOX_PAGE } from '../shared/jobs/sandbox-policy.js';

/** Page aliases: short URLs for the pages users open. */
export const PAGE_ROUTES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/worker': 'worker.html',
  '/master': 'master.html',
};

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** Pages are revalidated so a redeploy shows at once; bundles are cheap to revalidate too at this scale. */
const CACHE_CONTROL = 'no-cache';

export type StaticResult = 'served' | 'not-found' | 'bad-path';

/**
 * Serves `pathname` (already URL-parsed, still percent-encoded) from `root`.
 * Returns what happened; on 'not-found' / 'bad-path' nothing was written.
 */
export async function serveStatic(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<StaticResult> {
  const relativePath = toRelativePath(pathname);
  if (relativePath === undefined) return 'bad-path';
  const rootDir = await realpath(resolve(root)).catch(() => undefined);
  if (rootDir === undefined) return 'not-found';
  let file: string;
  try {
    // realpath resolves symlinks, so a link pointing outside the folder is caught by the check below.
    file = await realpath(join(rootDir, relativePath));
  } catch {
    return 'not-found';
  }
  if (!isInside(rootDir, file)) return 'not-found';
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return 'not-found';

  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? DEFAULT_CONTENT_TYPE,
    'Content-Length': info.size,
    'Cache-Control': CACHE_CONTROL,
    'X-Content-Type-Options': 'nosniff',
    // The job sandbox: an opaque origin that cannot reach the network (shared/jobs/sandbox-policy.ts).
    ...(basename(file) === SANDBOX_PAGE && { 'Content-Security-Policy': SANDBOX_HEADER_POLICY }),
  });
  if (req.method === 'HEAD') {
    res.end();
    return 'served';
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', done);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
  return 'served';
}

/** The file path below the root, or undefined if the path is malformed or tries to climb out. */
function toRelativePath(pathname: string): string | undefined {
  const alias = PAGE_ROUTES[pathname];
  if (alias !== undefined) return alias;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/').filter(Boolean);
  if (segments.length === 0) return undefined;
  // `..` climbs out; dot files (.env, .git) are never part of a build; backslashes and NUL have no business in a URL.
  if (segments.some((segment) => segment.startsWith('.') || segment.includes('\\') || segment.includes('\0'))) {
    return undefined;
  }
  return segments.join(sep);
}

function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep);
}
