// The user's choices that do not depend on an account: whether the add-on is on at all
// (off until the user opts in) and which push server to use.
import { isRecord } from '../messaging/guards.js';
import { SerialQueue } from './serial.js';
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

export class SettingsStore {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue = new SerialQueue(),
  ) {}

  async get(): Promise<Settings> {
    const stored = await this.area.get(KEY);
    if (!isRecord(stored)) return { ...DEFAULTS };
    return {
      enabled: stored.enabled === true,
      serverUrl: typeof stored.serverUrl === 'string' ? stored.serverUrl : DEFAULTS.serverUrl,
      notice: typeof stored.notice === 'string' ? stored.notice : null,
    };
  }

  update(change: Partial<Settings>): Promise<Settings> {
    return this.queue.run(async () => {
      const next = { ...(await this.get()), ...change };
      await this.area.set(KEY, next);
      return next;
    });
  }
}
