// The user's choices that do not depend on an account: whether the add-on is on at all
// (off until the user opts in) and which push server to use.
import { isRecord } from '../shared/guards.js';
import type { KeyValueArea } from './storage-area.js';

export const DEFAULT_SERVER_URL = 'http://localhost:8080';

export interface Settings {
  enabled: boolean;
  serverUrl: string;
  /** A message for the user about something that happened while they were away. */
  notice: string | null;
}

const KEY = 'settings';
const DEFAULTS: Settings = { enabled: false, serverUrl: DEFAULT_SERVER_URL, notice: null };

export type ServerUrlResult = { ok: true; url: string } | { ok: false; message: string };

/**
 * Checks a server address typed by the user and brings it to one form (no trailing slash), so
 * that endpoints and the WebSocket URL can be built by appending paths.
 */
export function normalizeServerUrl(input: string): ServerUrlResult {
  const text = input.trim();
  if (!/^https?:\/\//i.test(text)) {
    return { ok: false, message: 'The server address must start with http:// or https://.' };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'That is not a valid web address.' };
  }
  if (url.username || url.password) {
    return { ok: false, message: 'The server address must not contain a user name or password.' };
  }
  if (url.search || url.hash) {
    return { ok: false, message: 'The server address must not contain "?" or "#" parts.' };
  }
  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** Hosts the manifest grants up front; any other server needs an optional host permission. */
export function needsHostPermission(serverUrl: string): boolean {
  const { hostname } = new URL(serverUrl);
  return hostname !== 'localhost' && hostname !== '127.0.0.1';
}

export class SettingsStore {
  constructor(private readonly area: KeyValueArea) {}

  async get(): Promise<Settings> {
    const stored = await this.area.get(KEY);
    if (!isRecord(stored)) return { ...DEFAULTS };
    return {
      enabled: stored.enabled === true,
      serverUrl: typeof stored.serverUrl === 'string' ? stored.serverUrl : DEFAULTS.serverUrl,
      notice: typeof stored.notice === 'string' ? stored.notice : null,
    };
  }

  async update(change: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.get()), ...change };
    await this.area.set(KEY, next);
    return next;
  }
}
