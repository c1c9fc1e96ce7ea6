// Per-site answers to "Allow <origin> to send you notifications?", kept on this device.
// `ask` is remembered too: the user unsubscribed the site or chose "Ask" in the settings, and
// the site stays listed there; like no entry at all, it means the next subscribe asks.
import { isRecord } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import type { Decision, SiteDecision } from '../messaging/ui-api.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';

const KEY = 'sitePermissions';

export interface SitePermission {
  origin: string;
  decision: SiteDecision;
}

export class PermissionStore {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue,
  ) {}

  /** The answer that holds for the site: null when the user must be asked. */
  async get(origin: string): Promise<Decision | null> {
    const decision = (await this.#read())[origin];
    return decision === 'allow' || decision === 'block' ? decision : null;
  }

  /** Sorted by origin, for a stable list. */
  async list(): Promise<SitePermission[]> {
    return Object.entries(await this.#read())
      .map(([origin, decision]) => ({ origin, decision }))
      .sort((a, b) => a.origin.localeCompare(b.origin));
  }

  /** `null` forgets the site altogether (it is no longer listed); `ask` keeps it listed. */
  async set(origin: string, decision: SiteDecision | null): Promise<void> {
    if (!isWebOrigin(origin)) throw new TypeError(`not a web origin: ${origin}`);
    await this.queue.run(async () => {
      const all = await this.#read();
      if (decision === null) delete all[origin];
      else all[origin] = decision;
      await this.area.set(KEY, all);
    });
  }

  /** Drops entries that are not ours to trust (e.g. written by an older version). */
  async #read(): Promise<Record<string, SiteDecision>> {
    const stored = await this.area.get(KEY);
    const result: Record<string, SiteDecision> = {};
    if (!isRecord(stored)) return result;
    for (const [origin, decision] of Object.entries(stored)) {
      if (
        isWebOrigin(origin) &&
        (decision === 'allow' || decision === 'block' || decision === 'ask')
      ) {
        result[origin] = decision;
      }
    }
    return result;
  }
}
