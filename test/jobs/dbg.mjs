import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, chromiumBinary } from '/work/wt-jobs/dist/bench/lib/chromium.js';
import { startSignalingServer } from '/work/wt-jobs/dist/signaling/index.js';

const sig = await startSignalingServer({
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  staticDir: '/work/wt-jobs/web/dist',
});
const m = spawn(
  process.execPath,
  [
    'dist/node/cli.js',
    'master',
    '--address',
    sig.wsUrl('r'),
    '--authkey',
    'k',
    '--job',
    'examples/jobs/log-lines.mjs',
    '--tasks-file',
    'examples/jobs/log-lines.tasks.jsonl',
    '--results',
    '/tmp/dbg.jsonl',
  ],
  { stdio: 'inherit' },
);
const b = await chromium.launch({ executablePath: chromiumBinary(), args: CHROMIUM_FLAGS });
const ctx = await b.newContext({ permissions: ['camera', 'microphone'] });
const p = await ctx.newPage();
p.on('console', (msg) => console.log('console', msg.type(), msg.text()));
p.on('pageerror', (e) => console.log('pageerror', e.message));
p.on('frameattached', () => console.log('frame attached'));
await p.goto(`${sig.url}/worker?room=r#authkey=k`);
await new Promise((r) => setTimeout(r, 8000));
console.log(JSON.stringify(await p.evaluate(() => globalThis.__peerproc)));
for (const f of p.frames()) console.log('frame', f.url());
m.kill();
await b.close();
await sig.close();
