// The per-site question, in an add-on window a page cannot draw over. Escape or closing the
// window means "not now": nothing is remembered and the site may ask again later.
import type { Decision } from '../messaging/ui-api.js';
import { byId, markReady, say, show } from './dom.js';
import { call, messageOf } from './rpc.js';

/** Calls the background now and then, so Chromium does not stop it while the user thinks. */
const KEEP_ALIVE_MS = 20_000;

const promptId = new URLSearchParams(window.location.search).get('id') ?? '';
const el = {
  loading: byId('loading'),
  ask: byId('ask'),
  origin: byId('origin'),
  allow: byId<HTMLButtonElement>('allow'),
  block: byId<HTMLButtonElement>('block'),
  error: byId('error'),
};

async function answer(decision: Decision): Promise<void> {
  el.allow.disabled = true;
  el.block.disabled = true;
  try {
    await call('answerPrompt', { promptId, decision });
    window.close();
  } catch (err) {
    say(el.error, messageOf(err), 'error');
    el.allow.disabled = false;
    el.block.disabled = false;
  }
}

async function main(): Promise<void> {
  try {
    const prompt = await call('getPrompt', { promptId });
    if (!prompt) {
      say(el.loading, 'This question has expired. Ask the site to try again.', 'error');
    } else {
      el.origin.textContent = prompt.origin;
      document.title = `Allow ${prompt.origin} to send you notifications?`;
      show(el.ask, true);
      show(el.loading, false);
      el.allow.addEventListener('click', () => void answer('allow'));
      el.block.addEventListener('click', () => void answer('block'));
      // Focus the harmless answer, so a keypress meant for the page cannot allow by accident.
      el.block.focus();
      // Only a keep-alive: the call wakes the background; its answer or failure changes nothing.
      setInterval(() => void call('getPrompt', { promptId }).catch(() => undefined), KEEP_ALIVE_MS);
    }
  } catch (err) {
    say(el.loading, messageOf(err), 'error');
  }
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') window.close();
  });
  markReady();
}

void main();
