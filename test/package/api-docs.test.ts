/**
 * The API reference stays true: docs/api/ is what `npm run docs` (TypeDoc)
 * makes from the current TSDoc, and docs/api.md names every manager option,
 * every event and every public error.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('API reference', () => {
  it('docs/api/ is up to date with the TSDoc (else: npm run docs)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'peerproc-api-'));
    try {
      await exec(process.execPath, [join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], {
        cwd: ROOT,
      }).catch((err: { stdout?: string }) => {
        throw new Error(`typedoc failed:\n${err.stdout}`);
      });
      const committed = join(ROOT, 'docs', 'api');
      expect(files(out)).toEqual(files(committed));
      for (const file of files(out)) {
        expect(readFileSync(join(out, file), 'utf8'), `docs/api/${file} is stale: run npm run docs`).toBe(
          readFileSync(join(committed, file), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('docs/api.md names every option, event and public error', () => {
    const page = read('docs/api.md');
    const optionsBlock =
      /export interface ManagerOptions \{([\s\S]*?)\n\}/.exec(read('shared/manager/options.ts'))?.[1] ?? '';
    const options = [...optionsBlock.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]);
    expect(options.length).toBeGreaterThan(10);
    for (const option of options) expect(page, `option ${option}`).toContain(`| \`${option}\` |`);

    const events = [...read('shared/manager/events.ts').matchAll(/\{ type: '([\w-]+)'/g)].map((m) => m[1]);
    expect(events.length).toBeGreaterThan(5);
    for (const event of events) expect(page, `event ${event}`).toContain(`| \`${event}\` |`);

    const exported = /export \{([^}]*)\} from '\.\/errors\.js'/.exec(read('shared/index.ts'))?.[1] ?? '';
    const errors = exported
      .split(',')
      .map((s) => s.trim().replace(/^type /, ''))
      .filter((s) => s !== '' && s !== 'PeerprocError');
    expect(errors.length).toBeGreaterThan(10);
    for (const error of errors) expect(page, `error ${error}`).toContain(`\`${error}\``);
  });
});
