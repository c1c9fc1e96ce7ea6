// PushClient drops redeliveries while it runs, but Chromium may stop the service worker
// between a message being handled and its ack reaching the server; then the message comes
// again to a fresh worker. Remembering handled ids in storage keeps that from showing twice.
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';

const KEY = 'seenMessageIds';

export class SeenIds {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue,
    private readonly limit = 500,
  ) {}

  async has(id: string): Promise<boolean> {
    return (await this.#read()).includes(id);
  }

  async add(id: string): Promise<void> {
    await this.queue.run(async () => {
      const ids = (await this.#read()).filter((seen) => seen !== id);
      ids.push(id);
      await this.area.set(KEY, ids.slice(-this.limit));
    });
  }

  async clear(): Promise<void> {
    await this.queue.run(() => this.area.remove(KEY));
  }

  async #read(): Promise<string[]> {
    const stored = await this.area.get(KEY);
    return Array.isArray(stored) ? stored.filter((x): x is string => typeof x === 'string') : [];
  }
}
