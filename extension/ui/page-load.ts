// How the settings, popup and pairing pages come up. Each page's HTML has a "Loading…" line
// and hidden content; the first answers from the background decide what the content shows.
import { markReady, say, show } from './dom.js';
import { messageOf } from './rpc.js';

export interface LoadingPage {
  loading: HTMLElement;
  content: HTMLElement;
}

/**
 * Runs `load`, then swaps "Loading…" for the content; if the background does not answer, the
 * loading line says why and the content stays hidden. Ready for tests either way, so that they
 * see the error instead of timing out.
 */
export async function loadPage(page: LoadingPage, load: () => Promise<void>): Promise<void> {
  try {
    await load();
    show(page.content, true);
    show(page.loading, false);
  } catch (err) {
    say(page.loading, messageOf(err), 'error');
  }
  markReady();
}
