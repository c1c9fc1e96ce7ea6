// Sites are told apart by origin (scheme://host[:port]), and only web pages can subscribe:
// an opaque origin ("null") or a non-http(s) scheme would mix unrelated pages together.

/** The http(s) origin of a URL, or null for anything else (about:, file:, data:, invalid). */
export function webOriginOf(url: string | undefined | null): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.origin;
}

/** True for a string that is exactly an http(s) origin, with nothing after the host and port. */
export function isWebOrigin(value: unknown): value is string {
  return typeof value === 'string' && webOriginOf(value) === value;
}
