// Per-site Allow/Block answers on this device, changeable here.
import type { Decision, SiteView } from '../../messaging/ui-api.js';
import { h } from '../dom.js';
import { siteName } from '../format.js';

let nextId = 0;

export function renderSites(
  list: HTMLUListElement,
  sites: SiteView[],
  change: (origin: string, decision: Decision | null) => void,
): void {
  list.replaceChildren(
    ...(sites.length === 0
      ? [h('li', { class: 'empty' }, 'No site has asked yet.')]
      : sites.map((site) => {
          const id = `site-${nextId++}`;
          const select = h(
            'select',
            { id },
            h('option', { value: 'allow', selected: site.decision === 'allow' }, 'Allow'),
            h('option', { value: 'block', selected: site.decision === 'block' }, 'Block'),
            h('option', { value: 'ask' }, 'Ask again'),
          );
          select.addEventListener('change', () => {
            const value = select.value;
            change(site.origin, value === 'allow' || value === 'block' ? value : null);
          });
          return h(
            'li',
            { class: 'site', 'data-origin': site.origin },
            h(
              'label',
              { for: id, class: 'main title' },
              siteName(site.origin),
              h('span', { class: 'visually-hidden' }, ': notifications'),
            ),
            select,
          );
        })),
  );
}
