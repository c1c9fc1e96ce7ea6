// Where the admin page's built script is, and how the server gets it: the file that
// `npm run build` wrote (build.ts), or — when there is none, or the sources are newer (a
// checkout run with `npm run server`) — the same vite build made in memory at the first
// request, so the page works either way. vite is loaded only then.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FRONT_END_DIR = join(root, 'server/admin/front-end');
export const ADMIN_ENTRY = join(FRONT_END_DIR, 'admin.ts');
export const ADMIN_SCRIPT = join(root, 'dist/admin/admin.js');

function mtime(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null; // not built
  }
}

function builtIsCurrent(): boolean {
  const built = mtime(ADMIN_SCRIPT);
  if (built === null) return false;
  const sources = readdirSync(FRONT_END_DIR).map((name) => mtime(join(FRONT_END_DIR, name)) ?? 0);
  return sources.every((source) => source <= built);
}

export async function loadAdminScript(): Promise<string> {
  if (builtIsCurrent()) return readFile(ADMIN_SCRIPT, 'utf8');
  const { bundleAdminScript } = await import('./build.js');
  return bundleAdminScript();
}
