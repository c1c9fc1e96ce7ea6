// One manifest.json (Manifest V3, with both background keys) is the source; the build writes
// one manifest per browser from it:
// - Firefox gets Manifest V2 with a persistent background page. Firefox suspends an MV3 event
//   page after about a minute without extension events, and its idle timer ignores WebSocket
//   traffic, so an MV3 add-on would drop and re-open its push connection every minute. A
//   persistent MV2 page keeps one connection for as long as the browser runs; Firefox keeps
//   supporting Manifest V2.
// - Chromium gets Manifest V3 with the service worker only (Chromium no longer loads MV2). Its
//   worker stays up while the WebSocket carries traffic (docs/extension.md, "Staying connected").

export type TargetBrowser = 'firefox' | 'chromium';
export const TARGET_BROWSERS: readonly TargetBrowser[] = ['firefox', 'chromium'];

type Json = Record<string, unknown>;

function record(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`manifest.json: ${what} must be an object`);
  }
  return value as Json;
}

function strings(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`manifest.json: ${what} must be a list of strings`);
  }
  return value;
}

/** The manifest for `browser`, from the MV3 source. The source object is left unchanged. */
export function manifestFor(source: Json, browser: TargetBrowser): Json {
  if (source.manifest_version !== 3) throw new TypeError('manifest.json must be Manifest V3');
  const background = record(source.background, 'background');
  const scripts = strings(background.scripts, 'background.scripts');
  if (typeof background.service_worker !== 'string' || scripts.length !== 1) {
    throw new TypeError('manifest.json: background needs one script and the service worker');
  }
  return browser === 'firefox' ? firefoxManifest(source, scripts) : chromiumManifest(source);
}

function chromiumManifest(source: Json): Json {
  const { background, browser_specific_settings: _firefoxOnly, ...rest } = source;
  const { scripts: _eventPage, ...worker } = record(background, 'background');
  return { ...rest, background: worker };
}

function firefoxManifest(source: Json, scripts: string[]): Json {
  const {
    manifest_version: _version,
    background: _background,
    action,
    permissions,
    host_permissions,
    optional_host_permissions,
    content_security_policy,
    ...rest
  } = source;
  const csp = record(content_security_policy ?? {}, 'content_security_policy');
  const optional = strings(optional_host_permissions, 'optional_host_permissions');
  // Keys in the order a reader of an MV2 manifest expects them.
  return {
    manifest_version: 2,
    ...rest,
    background: { scripts, persistent: true },
    ...(action === undefined ? {} : { browser_action: action }),
    ...(typeof csp.extension_pages === 'string'
      ? { content_security_policy: csp.extension_pages }
      : {}),
    // MV2 has one list for API and host permissions, granted at install like MV3's.
    permissions: [
      ...strings(permissions, 'permissions'),
      ...strings(host_permissions, 'host_permissions'),
    ],
    ...(optional.length ? { optional_permissions: optional } : {}),
  };
}
