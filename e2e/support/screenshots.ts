// Screenshots of the add-on's pages: always into test-results/ for a look after a run, and
// with UPDATE_SCREENSHOTS=1 also into docs/images/, where the docs show them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './extension-build.js';
import type { UiPage } from './ui-page.js';

const SCREENSHOT_DIR = join(ROOT, 'test-results/screenshots');
const DOCS_IMAGES = join(ROOT, 'docs/images');

export async function saveScreenshot(page: UiPage, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot(join(SCREENSHOT_DIR, `${name}.png`));
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    await page.screenshot(join(DOCS_IMAGES, `${name}.png`));
  }
}
