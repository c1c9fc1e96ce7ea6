// Which tabs listen for `push` events of which origin, so a message reaches only pages of its
// own site (another site's renderer never sees it). Kept in storage.session because Chromium
// may restart the service worker between the page registering and the message arriving.
// Closed tabs are forgotten when a delivery to them fails, not on tabs.onRemoved: listening
// to that would wake the service worker every time any tab closes.
import { isRecord } from '../messaging/guards.js';
import { isWebOrigin } from '../messaging/origin.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';

const KEY = 'listeningTabs';

export class PageTabs {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue,
  ) {}

  async add(tabId: number, origin: string): Promise<void> {
    await this.#update((tabs) => {
      tabs[String(tabId)] = origin;
    });
  }

  async remove(tabId: number): Promise<void> {
    await this.#update((tabs) => {
      delete tabs[String(tabId)];
    });
  }

  async tabsFor(origin: string): Promise<number[]> {
    return Object.entries(await this.#read())
      .filter(([, o]) => o === origin)
      .map(([tabId]) => Number(tabId));
  }

  async #update(change: (tabs: Record<string, string>) => void): Promise<void> {
    await this.queue.run(async () => {
      const tabs = await this.#read();
      change(tabs);
      await this.area.set(KEY, tabs);
    });
  }

  async #read(): Promise<Record<string, string>> {
    const stored = await this.area.get(KEY);
    const result: Record<string, string> = {};
    if (!isRecord(stored)) return result;
    for (const [tabId, origin] of Object.entries(stored)) {
      if (/^\d+$/.test(tabId) && isWebOrigin(origin)) result[tabId] = origin;
    }
    return result;
  }
}
