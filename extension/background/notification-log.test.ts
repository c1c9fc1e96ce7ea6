import { describe, expect, it } from 'vitest';
import type { NotificationView } from '../messaging/ui-api.js';
import { NotificationLog } from './notification-log.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';

const entry = (id: string): NotificationView => ({
  id,
  origin: 'https://a.example',
  title: `t${id}`,
  body: '',
  url: null,
  receivedAt: '2025-01-01T00:00:00Z',
  read: false,
});

describe('NotificationLog', () => {
  it('lists newest first, keeps a bounded number and counts unread', async () => {
    const log = new NotificationLog(new MemoryArea(), new SerialQueue(), 2);
    await log.add(entry('1'));
    await log.add(entry('2'));
    await log.add(entry('3'));
    expect((await log.list()).map((e) => e.id)).toEqual(['3', '2']);
    expect(await log.unreadCount()).toBe(2);
  });

  it('marks one or all as read', async () => {
    const log = new NotificationLog(new MemoryArea(), new SerialQueue());
    await Promise.all([log.add(entry('1')), log.add(entry('2'))]);
    await log.markRead('1');
    expect(await log.unreadCount()).toBe(1);
    await log.markRead();
    expect(await log.unreadCount()).toBe(0);
    expect((await log.get('2'))?.read).toBe(true);
  });
});
