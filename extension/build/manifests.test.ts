import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestFor } from './manifests.js';

const source = JSON.parse(
  readFileSync(join(resolve(import.meta.dirname, '../..'), 'manifest.json'), 'utf8'),
) as Record<string, unknown>;

describe('the manifest per browser', () => {
  it('gives Firefox Manifest V2 with a persistent background page', () => {
    const firefox = manifestFor(source, 'firefox');
    expect(firefox.manifest_version).toBe(2);
    expect(firefox.background).toEqual({ scripts: ['background.js'], persistent: true });
    expect(firefox.browser_action).toEqual(source.action);
    expect(firefox).not.toHaveProperty('action');
    expect(firefox.content_security_policy).toBe("script-src 'self'; object-src 'self'");
    expect(firefox.permissions).toEqual([
      'storage',
      'notifications',
      'alarms',
      // Signing in with an OpenID Connect provider (docs/protocol.md §9): launchWebAuthFlow.
      'identity',
      'http://localhost/*',
      'http://127.0.0.1/*',
    ]);
    expect(firefox.optional_permissions).toEqual(['*://*/*']);
    expect(firefox).not.toHaveProperty('host_permissions');
    expect(firefox).not.toHaveProperty('optional_host_permissions');
    expect(firefox.browser_specific_settings).toEqual(source.browser_specific_settings);
    expect(firefox.content_scripts).toEqual(source.content_scripts);
  });

  it('gives Chromium Manifest V3 with the service worker only', () => {
    const chromium = manifestFor(source, 'chromium');
    expect(chromium.manifest_version).toBe(3);
    expect(chromium.background).toEqual({ service_worker: 'background.js' });
    expect(chromium).not.toHaveProperty('browser_specific_settings');
    const { background: _a, browser_specific_settings: _b, ...rest } = source;
    const { background: _c, ...chromiumRest } = chromium;
    expect(chromiumRest).toEqual(rest);
    expect(chromium.permissions).toContain('identity');
  });

  it('leaves the source as it was', () => {
    const copy = structuredClone(source);
    manifestFor(source, 'firefox');
    manifestFor(source, 'chromium');
    expect(source).toEqual(copy);
  });

  it('refuses a source that is not MV3 with both backgrounds', () => {
    expect(() => manifestFor({ ...source, manifest_version: 2 }, 'firefox')).toThrow(/V3/);
    expect(() =>
      manifestFor({ ...source, background: { service_worker: 'background.js' } }, 'chromium'),
    ).toThrow(/background/);
  });
});
