// The one error shape of docs/protocol.md: {"error": "<machine_code>", "message": "<human text>"}.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function errorResponse(c: Context, err: HttpError): Response {
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json({ error: err.code, message: err.message }, err.status);
}

export const badRequest = (message: string, code = 'invalid_request') =>
  new HttpError(400, code, message);
export const unauthorized = (message = 'missing or wrong credentials') =>
  new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer' });
export const notFound = (message = 'no such resource') => new HttpError(404, 'not_found', message);
export const serviceUnavailable = (message: string) =>
  new HttpError(503, 'service_unavailable', message, { 'Retry-After': '5' });

/** The first zod issue in plain words, prefixed by the field it is about. */
export function describeZodError(error: ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const field = issue.path.join('.');
  return field ? `${field}: ${issue.message}` : issue.message;
}
