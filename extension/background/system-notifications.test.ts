// The browser's notification, badge and tab APIs are faked here (unit tests only).
import { describe, expect, it } from 'vitest';
import type { NotificationView } from '../messaging/ui-api.js';
import { NotificationLog } from './notification-log.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';
import { type NotificationApis, SystemNotifications } from './system-notifications.js';

function fakeBrowser() {
  const calls: string[] = [];
  const created: Array<{ id: string; title: string; message: string }> = [];
  const apis: NotificationApis = {
    notifications: {
      create: async (id, options) => {
        created.push({ id, title: options.title, message: options.message });
        return id;
      },
      clear: async (id) => {
        calls.push(`clear ${id}`);
        return true;
      },
    },
    action: {
      setBadgeText: async ({ text }) => void calls.push(`badge ${text}`),
      setBadgeBackgroundColor: async () => {},
    },
    tabs: {
      create: async ({ url }) => {
        calls.push(`open ${url}`);
        return { index: 0, highlighted: false, active: true, pinned: false, incognito: false };
      },
    },
    runtime: { getURL: (path) => `moz-extension://uuid/${path}` },
  };
  return { apis, calls, created };
}

const entry = (over: Partial<NotificationView> = {}): NotificationView => ({
  id: 'm1',
  origin: 'https://auction.example',
  title: "You've been outbid",
  body: 'Lamp: 25 €',
  url: 'https://auction.example/items/lamp',
  receivedAt: '2025-01-01T00:00:00Z',
  read: false,
  ...over,
});

describe('SystemNotifications', () => {
  it('shows the title, the body and which site sent it, under the message id', async () => {
    const { apis, created } = fakeBrowser();
    await new SystemNotifications(
      apis,
      new NotificationLog(new MemoryArea(), new SerialQueue()),
    ).show(entry());
    expect(created).toEqual([
      { id: 'm1', title: "You've been outbid", message: 'Lamp: 25 €\n— auction.example' },
    ]);
  });

  it('opens the url on click, marks it read and updates the badge', async () => {
    const { apis, calls } = fakeBrowser();
    const log = new NotificationLog(new MemoryArea(), new SerialQueue());
    await log.add(entry());
    await log.add(entry({ id: 'm2', url: null }));
    const system = new SystemNotifications(apis, log);
    await system.refreshBadge();
    await system.clicked('m1');
    expect(calls).toEqual([
      'badge 2',
      'clear m1',
      'badge 1',
      'open https://auction.example/items/lamp',
    ]);
    expect((await log.get('m1'))?.read).toBe(true);
  });

  it('opens the origin when the payload had no url, and nothing for an unknown id', async () => {
    const { apis, calls } = fakeBrowser();
    const log = new NotificationLog(new MemoryArea(), new SerialQueue());
    await log.add(entry({ url: null }));
    const system = new SystemNotifications(apis, log);
    await system.clicked('m1');
    await system.clicked('unknown');
    expect(calls.filter((c) => c.startsWith('open'))).toEqual(['open https://auction.example']);
  });
});
