/**
 * The Content-Security-Policy of the job sandbox page (sandbox.html), which
 * hosts the Web Workers that run a master's job in a browser tab. The
 * signaling server sends it as a header; the page carries a stricter copy in
 * a meta tag (allowing its one inline script by hash), so a static host that
 * sets no headers still confines the job. Workers created from blob: URLs
 * inherit the policy of the document that made them.
 *
 * - `sandbox allow-scripts` (header only): an opaque origin, even when the
 *   page is opened directly: no cookies, storage or same-origin access;
 * - `connect-src 'none'`: no fetch, XHR, WebSocket, EventSource;
 * - script-src without 'self' or any host: `import()` and `importScripts` of
 *   a URL fail; only the job bundle, handed over as a blob:, loads;
 * - 'unsafe-eval' and 'wasm-unsafe-eval' stay allowed: they reach no network,
 *   and job libraries use them.
 */
const COMMON = [
  "default-src 'none'",
  'worker-src blob:',
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** The header policy (the inline script is allowed here; the meta policy narrows it to its hash). */
export const SANDBOX_HEADER_POLICY = [
  'sandbox allow-scripts',
  ...COMMON,
  "script-src 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval' blob:",
].join('; ');

/** The meta policy, with the SHA-256 (base64) of the page's inline script. */
export function sandboxMetaPolicy(inlineScriptSha256Base64: string): string {
  return [...COMMON, `script-src 'sha256-${inlineScriptSha256Base64}' 'unsafe-eval' 'wasm-unsafe-eval' blob:`].join(
    '; ',
  );
}

/** The sandbox page's file name in the built pages. */
export const SANDBOX_PAGE = 'sandbox.html';
