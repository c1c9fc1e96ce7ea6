// Small pure helpers for what the pages show.
import type { ExtensionState } from '../messaging/ui-api.js';

/** "just now", "5 min ago", "3 h ago", else the date. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return '';
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return then.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A name the user recognises in the devices list, e.g. "Firefox on Linux". */
export function defaultDeviceName(userAgent: string): string {
  const browser = /Firefox\//.test(userAgent)
    ? 'Firefox'
    : /Edg\//.test(userAgent)
      ? 'Edge'
      : /Chrome\//.test(userAgent)
        ? 'Chromium'
        : 'Browser';
  const os = /Android/.test(userAgent)
    ? 'Android'
    : /Windows/.test(userAgent)
      ? 'Windows'
      : /Mac OS X|Macintosh/.test(userAgent)
        ? 'macOS'
        : /Linux|X11/.test(userAgent)
          ? 'Linux'
          : null;
  return os ? `${browser} on ${os}` : browser;
}

/** The host is what people recognise; the scheme matters when it is not https. */
export function siteName(origin: string): string {
  try {
    const url = new URL(origin);
    return url.protocol === 'https:' ? url.host : origin;
  } catch {
    return origin;
  }
}

/** Time left until `iso` as "m:ss" ("0:00" once past), for the pairing code's countdown. */
export function timeLeft(iso: string, now: Date = new Date()): string {
  const ms = Date.parse(iso) - now.getTime();
  const seconds = Number.isNaN(ms) ? 0 : Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** What the switch means right now, and what is left to do. */
export function enabledHint(state: Pick<ExtensionState, 'enabled' | 'account'>): string {
  if (!state.enabled) {
    return 'Off until you turn it on. While off, websites cannot subscribe and nothing is received.';
  }
  if (state.account?.clientId == null) {
    return 'On. Create an account below (or add this browser to yours) to start receiving.';
  }
  return 'On: websites can ask to notify you, and notifications arrive here.';
}
