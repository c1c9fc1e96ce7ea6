// The recent-notifications list.
import type { NotificationView } from '../../messaging/ui-api.js';
import { button, h } from '../dom.js';
import { relativeTime, siteName } from '../format.js';

export function renderNotifications(
  list: HTMLUListElement,
  entries: NotificationView[],
  open: (entry: NotificationView) => void,
): void {
  list.replaceChildren(
    ...(entries.length === 0
      ? [h('li', { class: 'empty' }, 'No notifications yet.')]
      : entries.map((entry) =>
          h(
            'li',
            { class: entry.read ? 'notification' : 'notification unread', 'data-id': entry.id },
            h(
              'div',
              { class: 'main' },
              h(
                'div',
                { class: 'title' },
                entry.title,
                !entry.read && h('span', { class: 'visually-hidden' }, ' (new)'),
              ),
              entry.body && h('div', { class: 'body' }, entry.body),
              h(
                'div',
                { class: 'meta' },
                [
                  entry.origin ? siteName(entry.origin) : 'Unknown site',
                  relativeTime(entry.receivedAt),
                ]
                  .filter(Boolean)
                  .join(' · '),
              ),
            ),
            entry.url &&
              button('Open', `Open ${entry.title}`, () => {
                open(entry);
              }),
          ),
        )),
  );
}
