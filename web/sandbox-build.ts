/**
 * Builds the job sandbox page (sandbox.html) for the page build: the sandbox
 * script (src/jobs/sandbox.ts) bundled by esbuild into one classic script,
 * inlined into the page, and allowed by its hash in the page's meta
 * Content-Security-Policy. Inline, because a script file would need CORS
 * headers to load into an opaque origin, and allowing 'self' would let a job
 * import() from the server.
 */
import { build } from 'esbuild';
import type { Plugin } from 'vite';
import { SANDBOX_HEADER_POLICY, SANDBOX_PAGE, sandboxMetaPolicy } from '../shared/jobs/sandbox-policy.js';

export async function sandboxPage(webDir: string): Promise<string> {
  const result = await build({
    entryPoints: [`${webDir}/src/jobs/sandbox.ts`],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  // `</script` would end the inline element early.
  const script = (result.outputFiles?.[0]?.text ?? '').replaceAll('</script', '<\\/script').trim();
  // WebCrypto and btoa: the same in Node and in the DOM types this file is checked against.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)));
  const hash = btoa(String.fromCharCode(...digest));
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    `<meta http-equiv="Content-Security-Policy" content="${sandboxMetaPolicy(hash)}" />`,
    '<title>peerproc · job sandbox</title>',
    '</head>',
    `<body><script>${script}</script></body>`,
    '</html>',
    '',
  ].join('\n');
}

/** Emits sandbox.html beside the other pages; `vite` (dev) serves it too, with the header policy. */
export function sandboxPlugin(webDir: string): Plugin {
  return {
    name: 'peerproc-job-sandbox',
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: SANDBOX_PAGE, source: await sandboxPage(webDir) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split('?')[0] !== `/${SANDBOX_PAGE}`) return next();
        sandboxPage(webDir).then((html) => {
          res.setHeader('Content-Type', 'text/html; charset=utf-8');
          res.setHeader('Content-Security-Policy', SANDBOX_HEADER_POLICY);
          res.end(html);
        }, next);
      });
    },
  };
}
