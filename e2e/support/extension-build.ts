// The e2e tests run against the built add-on; build it unless dist/ is newer than every source.
// The build has one folder per browser (dist/extension/firefox, dist/extension/chromium).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXTENSION_DIR = join(ROOT, 'dist/extension');
const STAMP = join(EXTENSION_DIR, '.build-complete');

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

export function ensureExtensionBuilt(): string {
  const sources = ['extension', 'shared', 'manifest.json'].map((p) => newestSource(join(ROOT, p)));
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs > Math.max(...sources)) return EXTENSION_DIR;
  const result = spawnSync('npx', ['tsx', 'extension/build/build.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`building the add-on failed:\n${result.stdout}\n${result.stderr}`);
  return EXTENSION_DIR;
}

/**
 * The folder of `browser`'s build inside a build directory (what ensureExtensionBuilt returns);
 * a folder that holds a manifest itself is taken as it is.
 */
export function extensionDirFor(buildDir: string, browser: 'firefox' | 'chromium'): string {
  // Absolute: Firefox's remote agent takes no relative path.
  const dir = resolve(buildDir);
  const flavour = join(dir, browser);
  if (existsSync(join(flavour, 'manifest.json'))) return flavour;
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  throw new Error(`no ${browser} build of the add-on in ${dir}`);
}
