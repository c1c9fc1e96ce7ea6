// The visible side of a received notification: the system notification, the action badge
// with the unread count, and what a click on the notification does.
import type browserApi from 'webextension-polyfill';
import type { Notifications } from 'webextension-polyfill';
import type { NotificationView } from '../messaging/ui-api.js';
import type { NotificationLog } from './notification-log.js';

type Browser = typeof browserApi;

/** The few browser APIs this needs, so tests can stand in for them. */
export interface NotificationApis {
  notifications: {
    create(id: string, options: Notifications.CreateNotificationOptions): Promise<string>;
    clear(id: string): Promise<boolean>;
  };
  action: Pick<Browser['action'], 'setBadgeText' | 'setBadgeBackgroundColor'>;
  tabs: Pick<Browser['tabs'], 'create'>;
  runtime: Pick<Browser['runtime'], 'getURL'>;
}

export class SystemNotifications {
  constructor(
    private readonly browser: NotificationApis,
    private readonly log: NotificationLog,
  ) {}

  /**
   * The site's own icon is not loaded: fetching it would tell the site when the notification
   * was shown. The site's host is named in the text, so the user knows who is writing.
   */
  async show(entry: NotificationView): Promise<void> {
    const from = entry.origin ? new URL(entry.origin).host : null;
    await this.browser.notifications.create(entry.id, {
      type: 'basic',
      iconUrl: this.browser.runtime.getURL('icons/icon-96.png'),
      title: entry.title,
      message: [entry.body, from && `— ${from}`].filter(Boolean).join('\n'),
    });
  }

  async refreshBadge(): Promise<void> {
    const unread = await this.log.unreadCount();
    await this.browser.action.setBadgeBackgroundColor({ color: '#c5221f' });
    await this.browser.action.setBadgeText({
      text: unread > 0 ? String(Math.min(unread, 99)) : '',
    });
  }

  async clicked(notificationId: string): Promise<void> {
    const entry = await this.log.get(notificationId);
    await this.browser.notifications.clear(notificationId);
    if (!entry) return;
    await this.log.markRead(entry.id);
    await this.refreshBadge();
    const target = entry.url ?? entry.origin;
    if (target) await this.browser.tabs.create({ url: target });
  }
}
