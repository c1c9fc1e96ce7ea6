// Every subscription of the user, across devices.
import type { SubscriptionView } from '../../messaging/ui-api.js';
import { button, h } from '../dom.js';
import { relativeTime, siteName } from '../format.js';

export function renderSubscriptions(
  list: HTMLUListElement,
  subscriptions: SubscriptionView[],
  unsubscribe: (subscription: SubscriptionView, control: HTMLButtonElement) => void,
): void {
  list.replaceChildren(
    ...(subscriptions.length === 0
      ? [h('li', { class: 'empty' }, 'No site is subscribed.')]
      : subscriptions.map((s) => {
          const name = s.origin ? siteName(s.origin) : 'Unknown site';
          const control = button('Unsubscribe', `Unsubscribe from ${name}`, () =>
            unsubscribe(s, control),
          );
          return h(
            'li',
            { class: 'subscription', 'data-origin': s.origin ?? '', 'data-id': s.subscriptionId },
            h(
              'div',
              { class: 'main' },
              h('div', { class: 'title' }, name),
              h(
                'div',
                { class: 'meta' },
                s.origin ? `since ${relativeTime(s.createdAt)}` : 'made with another recovery key',
              ),
            ),
            control,
          );
        })),
  );
}
