/**
 * How peerproc runs Debian's Chromium headless, for the benchmark and the
 * browser tests alike. The binary comes from PEERPROC_CHROMIUM or
 * /usr/bin/chromium (`apt-get install chromium`); Playwright's own download
 * does not work offline.
 */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The Chromium binary to drive (PEERPROC_CHROMIUM overrides the Debian default). */
export function chromiumBinary(): string {
  return process.env.PEERPROC_CHROMIUM || DEFAULT_CHROMIUM;
}

/**
 * Flags: no sandbox (root in a container), no GPU, and nothing that talks to
 * the internet (background networking, component updates, sync, QUIC).
 * `--allow-loopback-in-peer-connection` lets WebRTC use 127.0.0.1, so pages
 * connect inside the private network namespace.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
];
