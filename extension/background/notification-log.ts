// The recent-notifications list the popup shows, with what is unread (the badge count).
import { isRecord, isString } from '../messaging/guards.js';
import type { NotificationView } from '../messaging/ui-api.js';
import type { SerialQueue } from './serial.js';
import type { KeyValueArea } from './storage-area.js';

const KEY = 'recentNotifications';

export class NotificationLog {
  constructor(
    private readonly area: KeyValueArea,
    private readonly queue: SerialQueue,
    private readonly limit = 50,
  ) {}

  /** Newest first. */
  async list(): Promise<NotificationView[]> {
    const stored = await this.area.get(KEY);
    if (!Array.isArray(stored)) return [];
    return stored.map(parseEntry).filter((e): e is NotificationView => e !== null);
  }

  async get(id: string): Promise<NotificationView | null> {
    return (await this.list()).find((e) => e.id === id) ?? null;
  }

  async unreadCount(): Promise<number> {
    return (await this.list()).filter((e) => !e.read).length;
  }

  async add(entry: NotificationView): Promise<void> {
    await this.#update((list) =>
      [entry, ...list.filter((e) => e.id !== entry.id)].slice(0, this.limit),
    );
  }

  async markRead(id?: string): Promise<void> {
    await this.#update((list) =>
      list.map((e) => (id === undefined || e.id === id ? { ...e, read: true } : e)),
    );
  }

  async clear(): Promise<void> {
    await this.queue.run(() => this.area.remove(KEY));
  }

  async #update(change: (list: NotificationView[]) => NotificationView[]): Promise<void> {
    await this.queue.run(async () => {
      await this.area.set(KEY, change(await this.list()));
    });
  }
}

function parseEntry(value: unknown): NotificationView | null {
  if (!isRecord(value)) return null;
  const { id, origin, title, body, url, receivedAt, read } = value;
  if (!isString(id) || !isString(title) || !isString(body) || !isString(receivedAt)) return null;
  return {
    id,
    origin: isString(origin) ? origin : null,
    title,
    body,
    url: isString(url) ? url : null,
    receivedAt,
    read: read === true,
  };
}
