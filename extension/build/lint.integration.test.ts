// AMO's linter on the built add-on: no errors, and no warnings but the one every add-on with a
// Chromium service worker gets (Firefox ignores background.service_worker and uses
// background.scripts). Built into a temporary directory so dist/ is left alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface LintMessage {
  code: string;
  message: string;
  file?: string;
}

interface LintReport {
  errors: LintMessage[];
  warnings: LintMessage[];
  notices: LintMessage[];
}

let dir: string;
let report: LintReport;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'push-addon-lint-'));
  const build = spawnSync('npx', ['tsx', 'extension/build/build.ts', '--out-dir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
  const lint = spawnSync(
    'npx',
    ['web-ext', 'lint', '--source-dir', dir, '--output=json', '--no-config-discovery'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  report = JSON.parse(lint.stdout) as LintReport;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const summary = (messages: LintMessage[]) =>
  messages.map((m) => `${m.code} ${m.file ?? ''}: ${m.message}`);

describe('web-ext lint', () => {
  it('reports no errors', () => {
    expect(summary(report.errors)).toEqual([]);
  });

  it('reports no warnings but BACKGROUND_SERVICE_WORKER_IGNORED', () => {
    expect(
      summary(report.warnings.filter((w) => w.code !== 'BACKGROUND_SERVICE_WORKER_IGNORED')),
    ).toEqual([]);
    expect(report.warnings.map((w) => w.code)).toEqual(['BACKGROUND_SERVICE_WORKER_IGNORED']);
  });

  it('lints the add-on that was built, with both backgrounds and the page script in the MAIN world', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      background: { scripts: string[]; service_worker: string };
      content_scripts: Array<{ js: string[]; world?: string }>;
    };
    expect(manifest.background).toEqual({
      scripts: ['background.js'],
      service_worker: 'background.js',
    });
    expect(manifest.content_scripts.find((c) => c.world === 'MAIN')?.js).toEqual(['page.js']);
    // The background must be one classic script: a service worker and an event page both load it.
    expect(readFileSync(join(dir, 'background.js'), 'utf8')).not.toMatch(/^\s*(import|export)\s/m);
  });
});
