// Per-site answers to "Allow <origin> to send you notifications?", kept on this device.
// No answer yet means the next subscribe asks.
import { isRecord } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import type { Decision, SiteView } from '../messaging/ui-api.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';

const KEY = 'sitePermissions';

export class PermissionStore {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue,
  ) {}

  async get(origin: string): Promise<Decision | null> {
    return (await this.#read())[origin] ?? null;
  }

  /** Sorted by origin, for a stable list in the popup. */
  async list(): Promise<SiteView[]> {
    return Object.entries(await this.#read())
      .map(([origin, decision]) => ({ origin, decision }))
      .sort((a, b) => a.origin.localeCompare(b.origin));
  }

  /** `null` forgets the answer, so the site asks again. */
  async set(origin: string, decision: Decision | null): Promise<void> {
    if (!isWebOrigin(origin)) throw new TypeError(`not a web origin: ${origin}`);
    await this.queue.run(async () => {
      const all = await this.#read();
      if (decision === null) delete all[origin];
      else all[origin] = decision;
      await this.area.set(KEY, all);
    });
  }

  /** Drops entries that are not ours to trust (e.g. written by an older version). */
  async #read(): Promise<Record<string, Decision>> {
    const stored = await this.area.get(KEY);
    const result: Record<string, Decision> = {};
    if (!isRecord(stored)) return result;
    for (const [origin, decision] of Object.entries(stored)) {
      if (isWebOrigin(origin) && (decision === 'allow' || decision === 'block')) {
        result[origin] = decision;
      }
    }
    return result;
  }
}
