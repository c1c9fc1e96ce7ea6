// "Not now", counted per site. Closing the question (or pressing Escape, or leaving it
// unanswered until it times out) remembers no answer, so a site could otherwise ask again and
// again. After three dismissals in a row the site may not ask for a day: its subscribe()
// rejects with NotAllowedError and no question opens. An answer (Allow or Block), a change in
// the settings, or the day passing starts the count again. Browsers do the same for
// notification prompts that people keep dismissing.
import { isRecord } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';

const KEY = 'promptDismissals';
export const DISMISSALS_BEFORE_QUIET = 3;
export const QUIET_MS = 24 * 60 * 60_000;

interface Entry {
  /** Dismissals in a row since the last answer or quiet period. */
  count: number;
  /** Epoch ms until which the site may not ask; null while fewer than three. */
  quietUntil: number | null;
}

export class PromptDismissals {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue,
    private readonly now: () => number = Date.now,
  ) {}

  /** Until when the site may not ask, or null when it may. */
  async quietUntil(origin: string): Promise<Date | null> {
    const entry = this.#current((await this.#read())[origin]);
    return entry?.quietUntil ? new Date(entry.quietUntil) : null;
  }

  /** Every site that may not ask right now, with until when. */
  async quietSites(): Promise<Map<string, Date>> {
    const result = new Map<string, Date>();
    for (const [origin, stored] of Object.entries(await this.#read())) {
      const entry = this.#current(stored);
      if (entry?.quietUntil) result.set(origin, new Date(entry.quietUntil));
    }
    return result;
  }

  /** Counts one dismissal; the third in a row starts the quiet day. */
  async dismissed(origin: string): Promise<void> {
    await this.#update((all) => {
      const count = (this.#current(all[origin])?.count ?? 0) + 1;
      all[origin] = {
        count,
        quietUntil: count >= DISMISSALS_BEFORE_QUIET ? this.now() + QUIET_MS : null,
      };
    });
  }

  /** The user answered or changed the site's setting: the count starts again. */
  async reset(origin: string): Promise<void> {
    await this.#update((all) => {
      delete all[origin];
    });
  }

  /** A finished quiet period counts as nothing. */
  #current(entry: Entry | undefined): Entry | undefined {
    if (entry?.quietUntil != null && entry.quietUntil <= this.now()) return undefined;
    return entry;
  }

  async #update(change: (all: Record<string, Entry>) => void): Promise<void> {
    await this.queue.run(async () => {
      const all = await this.#read();
      change(all);
      for (const [origin, entry] of Object.entries(all)) {
        if (!this.#current(entry)) delete all[origin];
      }
      await this.area.set(KEY, all);
    });
  }

  async #read(): Promise<Record<string, Entry>> {
    const stored = await this.area.get(KEY);
    const result: Record<string, Entry> = {};
    if (!isRecord(stored)) return result;
    for (const [origin, value] of Object.entries(stored)) {
      if (!isWebOrigin(origin) || !isRecord(value)) continue;
      const { count, quietUntil } = value;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) continue;
      if (quietUntil !== null && typeof quietUntil !== 'number') continue;
      result[origin] = { count, quietUntil };
    }
    return result;
  }
}
