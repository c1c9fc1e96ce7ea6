// Errors the user reads. Background code throws UserError with words meant for a person;
// anything else is translated here, so no stack trace or machine code reaches the UI.
import type { UiError } from '../messaging/ui-api.js';
import { ApiError, NetworkError, ProtocolError } from './api-client.js';

export class UserError extends Error {
  override name = 'UserError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function toUiError(err: unknown): UiError {
  if (err instanceof UserError) return { code: err.code, message: err.message };
  if (err instanceof NetworkError) {
    return {
      code: 'offline',
      message: `${err.message} Check the server address and your connection, then try again.`,
    };
  }
  if (err instanceof ProtocolError) {
    return {
      code: 'not_a_push_server',
      message: `The server gave an unexpected answer (${err.message}). Is the address that of a push server?`,
    };
  }
  if (err instanceof ApiError) return fromApiError(err);
  return { code: 'internal', message: 'Something went wrong in the add-on. Please try again.' };
}

/** Limits of the server (docs/operations.md, Limits), in words that say what to do. */
const LIMITS: Readonly<Record<string, string>> = {
  too_many_clients:
    'Your account already has as many devices as this server allows. Remove a device you no longer use (from the popup on another device), then try again.',
  too_many_subscriptions:
    'Your account already has as many site subscriptions as this server allows. Turn off notifications for sites you no longer need (in the popup), then try again.',
  too_many_signups:
    'Too many accounts were created from your network recently. Please try again in an hour.',
};

function fromApiError(err: ApiError): UiError {
  const limit = LIMITS[err.code];
  if (limit !== undefined) return { code: err.code, message: limit };
  switch (err.status) {
    case 400:
      return { code: 'invalid', message: `The server refused this: ${err.message}.` };
    case 401:
      return {
        code: 'unauthorized',
        message: 'This device is no longer signed in to the push server. Please sign in again.',
      };
    case 404:
      return { code: 'not_found', message: 'That no longer exists on the server.' };
    case 429:
      return {
        code: 'rate_limited',
        message: 'Too many attempts. Please wait a minute and try again.',
      };
    default:
      if (err.status >= 500) {
        return {
          code: 'server_error',
          message: 'The push server is having trouble right now. Please try again in a moment.',
        };
      }
      return {
        code: err.code,
        message: `The server refused this (${err.status}): ${err.message}.`,
      };
  }
}
