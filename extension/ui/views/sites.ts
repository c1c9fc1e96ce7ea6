// Per-site answers on this device, in the settings: Allow, Block or Ask (the site must ask
// again), and Remove (forget the site). A site whose question was dismissed three times says
// until when it may not ask.
import type { SiteDecision, SiteView } from '../../messaging/ui-api.js';
import { button, h } from '../dom.js';
import { siteName } from '../format.js';

let nextId = 0;

/** "Asked too often: quiet until 14:05 tomorrow"-style note, in the user's locale. */
export function quietNote(quietUntil: string, now: Date = new Date()): string {
  const until = new Date(quietUntil);
  const sameDay = until.toDateString() === now.toDateString();
  const time = until.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const when = sameDay
    ? time
    : `${until.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
  return `You dismissed its question three times: it may not ask again until ${when}.`;
}

export function renderSites(
  list: HTMLUListElement,
  sites: SiteView[],
  change: (origin: string, decision: SiteDecision | null) => void,
): void {
  list.replaceChildren(
    ...(sites.length === 0
      ? [h('li', { class: 'empty' }, 'No site has asked yet.')]
      : sites.map((site) => {
          const id = `site-${nextId++}`;
          const name = siteName(site.origin);
          const select = h(
            'select',
            { id },
            h('option', { value: 'allow', selected: site.decision === 'allow' }, 'Allow'),
            h('option', { value: 'block', selected: site.decision === 'block' }, 'Block'),
            h('option', { value: 'ask', selected: site.decision === 'ask' }, 'Ask'),
          );
          select.addEventListener('change', () => {
            const value = select.value;
            if (value === 'allow' || value === 'block' || value === 'ask')
              change(site.origin, value);
          });
          const remove = button('Remove', `Remove ${name} from the list`, () =>
            change(site.origin, null),
          );
          return h(
            'li',
            { class: 'site', 'data-origin': site.origin },
            h(
              'div',
              { class: 'main' },
              h(
                'label',
                { for: id, class: 'title' },
                name,
                h('span', { class: 'visually-hidden' }, ': notifications'),
              ),
              site.quietUntil && h('div', { class: 'meta' }, quietNote(site.quietUntil)),
            ),
            select,
            remove,
          );
        })),
  );
}
