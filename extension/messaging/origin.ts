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

/**
 * Whether pages of `origin` are secure contexts, i.e. the origin is "potentially
 * trustworthy" (W3C Secure Contexts §3.1): https, or http on a loopback host — `localhost`
 * and its subdomains, 127.0.0.0/8 and [::1]. navigator.push is only for those, as the W3C
 * Push API is; the background refuses every other origin (router.ts).
 */
export function isPotentiallyTrustworthy(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname;
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}
