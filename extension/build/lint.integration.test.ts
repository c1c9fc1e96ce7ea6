// AMO's linter on the add-on built for Firefox (what addons.mozilla.org gets): no errors and no
// warnings. (While one MV3 manifest served both browsers, Firefox warned that it ignores
// background.service_worker; the Firefox build now has only its background page.) Built into a
// temporary directory so dist/ is left alone.
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
    [
      'web-ext',
      'lint',
      '--source-dir',
      join(dir, 'firefox'),
      '--output=json',
      '--no-config-discovery',
    ],
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

  it('reports no warnings', () => {
    expect(summary(report.warnings)).toEqual([]);
  });

  it('lints the add-on that was built: a persistent page in Firefox, a service worker in Chromium', () => {
    interface Manifest {
      manifest_version: number;
      background: Record<string, unknown>;
      content_scripts: Array<{ js: string[]; world?: string }>;
    }
    const manifest = (browser: string) =>
      JSON.parse(readFileSync(join(dir, browser, 'manifest.json'), 'utf8')) as Manifest;
    const firefox = manifest('firefox');
    const chromium = manifest('chromium');
    expect(firefox.manifest_version).toBe(2);
    expect(firefox.background).toEqual({ scripts: ['background.js'], persistent: true });
    expect(chromium.manifest_version).toBe(3);
    expect(chromium.background).toEqual({ service_worker: 'background.js' });
    for (const m of [firefox, chromium]) {
      expect(m.content_scripts.find((c) => c.world === 'MAIN')?.js).toEqual(['page.js']);
    }
    // The background must be one classic script: a service worker and a page both load it.
    for (const browser of ['firefox', 'chromium']) {
      expect(readFileSync(join(dir, browser, 'background.js'), 'utf8')).not.toMatch(
        /^\s*(import|export)\s/m,
      );
    }
  });
});
