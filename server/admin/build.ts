// Builds the admin page's script (front-end/admin.ts) with vite into dist/admin/admin.js, as
// the add-on's pages are built (extension/build/build.ts): one classic script, readable
// output, no eval (the page's Content-Security-Policy allows only 'self'). `npm run build`
// (and so `npm start` and the Docker image) runs it; a server started without a build makes
// the same bundle in memory (script.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { ADMIN_ENTRY, ADMIN_SCRIPT } from './script.js';

/** The bundle's text, built in memory. */
export async function bundleAdminScript(): Promise<string> {
  const result = await build({
    root: dirname(ADMIN_ENTRY),
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      write: false,
      minify: false,
      sourcemap: false,
      target: ['chrome120', 'firefox115', 'safari16'],
      reportCompressedSize: false,
      lib: {
        entry: ADMIN_ENTRY,
        formats: ['iife'],
        name: 'pushAdmin',
        fileName: () => 'admin.js',
      },
    },
  });
  for (const output of Array.isArray(result) ? result : [result]) {
    if (!('output' in output)) continue;
    const chunk = output.output.find((file) => file.type === 'chunk');
    if (chunk) return chunk.code;
  }
  throw new Error('vite produced no script for the admin page');
}

/** Writes dist/admin/admin.js; returns its path. */
export async function buildAdminScript(): Promise<string> {
  const code = await bundleAdminScript();
  mkdirSync(dirname(ADMIN_SCRIPT), { recursive: true });
  writeFileSync(ADMIN_SCRIPT, code);
  return ADMIN_SCRIPT;
}

// `tsx server/admin/build.ts`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildAdminScript()
    .then((file) => console.log(`[build] admin page script built in ${file}`))
    .catch((err: unknown) => {
      console.error('[build] admin page script failed:', err);
      process.exit(1);
    });
}
