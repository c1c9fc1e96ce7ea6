// Tiny shape checks for messages that cross a trust boundary (page ↔ content ↔ background).
// Hand-written rather than zod so the scripts injected into every page stay small.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

/** base64url without padding, as every binary value in the protocol. */
export function isBase64Url(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]*$/.test(value);
}
