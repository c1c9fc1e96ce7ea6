// Builds the add-on into dist/extension/firefox/ and dist/extension/chromium/: the same files,
// each with its browser's manifest (manifests.ts). Four vite builds because the parts run in
// different places: the background (Firefox background page *and* Chromium service worker, so
// one classic script without imports), the content script and the page script (classic scripts
// injected into every page), and the UI pages (ordinary extension pages, free to share module
// chunks).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';
import { manifestFor, TARGET_BROWSERS } from './manifests.js';
import { zodWithoutEval } from './zod-without-eval.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const extensionDir = join(root, 'extension');
export const DEFAULT_OUT_DIR = join(root, 'dist/extension');

/** Shared settings: readable output (reviewers of an add-on read what ships), no eval. */
function base(outDir: string): InlineConfig {
  return {
    root: extensionDir,
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    plugins: [zodWithoutEval()],
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      sourcemap: false,
      target: ['chrome120', 'firefox140'],
      reportCompressedSize: false,
    },
  };
}

/** One self-contained classic script (IIFE) for a place where modules cannot be used. */
async function buildScript(outDir: string, entry: string, fileName: string): Promise<void> {
  const config = base(outDir);
  await build({
    ...config,
    build: {
      ...config.build,
      lib: {
        entry: join(extensionDir, entry),
        formats: ['iife'],
        name: `pushService_${fileName.replace(/\W/g, '_')}`,
        fileName: () => fileName,
      },
    },
  });
}

async function buildPages(outDir: string): Promise<void> {
  const config = base(outDir);
  await build({
    ...config,
    publicDir: join(extensionDir, 'public'),
    base: '/',
    build: {
      ...config.build,
      // Extension pages forbid inline scripts, and both browsers support modulepreload.
      modulePreload: { polyfill: false },
      rolldownOptions: {
        input: {
          popup: join(extensionDir, 'ui/popup.html'),
          options: join(extensionDir, 'ui/options.html'),
          prompt: join(extensionDir, 'ui/prompt.html'),
          pairing: join(extensionDir, 'ui/pairing.html'),
        },
      },
    },
  });
}

/** Builds into `outDir/firefox/` and `outDir/chromium/`; returns `outDir`. */
export async function buildExtension(outDir: string = DEFAULT_OUT_DIR): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  const [first, ...others] = TARGET_BROWSERS.map((browser) => ({
    browser,
    dir: join(outDir, browser),
  }));
  if (!first) throw new Error('no target browser');
  mkdirSync(first.dir, { recursive: true });
  await buildPages(first.dir);
  await buildScript(first.dir, 'background/index.ts', 'background.js');
  await buildScript(first.dir, 'content/index.ts', 'content.js');
  await buildScript(first.dir, 'page/index.ts', 'page.js');
  // The code is the same for every browser; only the manifest differs.
  for (const other of others) cpSync(first.dir, other.dir, { recursive: true });
  const source = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  for (const { browser, dir } of [first, ...others]) {
    writeFileSync(
      join(dir, 'manifest.json'),
      `${JSON.stringify(manifestFor(source, browser), null, 2)}\n`,
    );
  }
  // Lets the e2e tests tell a finished build from one that was interrupted.
  writeFileSync(join(outDir, '.build-complete'), `${new Date().toISOString()}\n`);
  return outDir;
}

// `tsx extension/build/build.ts [--out-dir <dir>]`
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--out-dir');
  const target = flag > 0 ? process.argv[flag + 1] : undefined;
  buildExtension(target ? resolve(target) : DEFAULT_OUT_DIR)
    .then((dir) => console.log(`[build] add-on built in ${dir}`))
    .catch((err: unknown) => {
      console.error('[build] failed:', err);
      process.exit(1);
    });
}
