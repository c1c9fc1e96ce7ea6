// Every subscription of the user, across devices, each with a checkbox: the user selects one
// or more (or all) and ends them with one Unsubscribe, after a confirmation.
import type { SubscriptionView } from '../../messaging/ui-api.js';
import { h } from '../dom.js';
import { relativeTime, siteName } from '../format.js';

let nextId = 0;

/** Renders the rows; `changed` runs whenever a checkbox is ticked or cleared. */
export function renderSubscriptions(
  list: HTMLUListElement,
  subscriptions: SubscriptionView[],
  changed: () => void,
): void {
  list.replaceChildren(
    ...(subscriptions.length === 0
      ? [h('li', { class: 'empty' }, 'No site is subscribed.')]
      : subscriptions.map((s) => {
          const id = `subscription-${nextId++}`;
          const name = s.origin ? siteName(s.origin) : 'Unknown site';
          const box = h('input', { type: 'checkbox', id, value: s.subscriptionId });
          box.addEventListener('change', changed);
          return h(
            'li',
            { class: 'subscription', 'data-origin': s.origin ?? '', 'data-id': s.subscriptionId },
            box,
            h(
              'label',
              { for: id, class: 'main' },
              h('span', { class: 'title' }, name),
              h(
                'span',
                { class: 'meta' },
                s.origin
                  ? `since ${relativeTime(s.createdAt)}`
                  : 'its record was made with another recovery key, or does not match it',
              ),
            ),
          );
        })),
  );
}

/** The subscription ids whose checkboxes are ticked. */
export function selectedSubscriptions(list: HTMLUListElement): string[] {
  return [...list.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map(
    (box) => box.value,
  );
}

/** Ticks or clears every row. */
export function selectAllSubscriptions(list: HTMLUListElement, selected: boolean): void {
  for (const box of list.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
    box.checked = selected;
  }
}

/** How many of how many rows are ticked, for the Select all box and the button. */
export function selectionState(list: HTMLUListElement): { selected: number; total: number } {
  const boxes = [...list.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
  return { selected: boxes.filter((b) => b.checked).length, total: boxes.length };
}

/** "a", "a and b", "a, b and c". */
function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** "a.example", "a.example and b.example", "a.example, b.example and c.example". */
export function siteList(origins: readonly string[]): string {
  return joinWords(origins.map(siteName));
}

/** The confirmation question for `count` selected subscriptions. */
export function unsubscribeQuestion(count: number): string {
  return count === 1
    ? 'Unsubscribe from this site? It will have to ask again before it can notify you.'
    : `Unsubscribe from these ${count} sites? They will have to ask again before they can notify you.`;
}

/** What happened, in a sentence, after unsubscribing. */
export function unsubscribedText(count: number, origins: readonly string[]): string {
  const unknown = count - origins.length;
  const what = joinWords([
    ...origins.map(siteName),
    ...(unknown === 1 ? ['one unknown site'] : unknown > 1 ? [`${unknown} unknown sites`] : []),
  ]);
  if (origins.length === 0) return `Unsubscribed from ${what}.`;
  const again =
    origins.length === 1
      ? 'It has to ask again before it can notify you.'
      : 'They have to ask again before they can notify you.';
  return `Unsubscribed from ${what}. ${again}`;
}

/** The label of the button that blocks the sites just unsubscribed. */
export function blockLabel(origins: readonly string[]): string {
  return origins.length === 1 && origins[0]
    ? `Block ${siteName(origins[0])}`
    : `Block these ${origins.length} sites`;
}
