// Pairing a new device with a signed-in one (PROTOCOL §6) as a user does it, on the add-on's
// pages: "I already use Push on another device" on the new one, "Add a device" on the other.
import { expect } from 'vitest';
import { js } from './addon-steps.js';
import type { UiPage } from './ui-page.js';

/** The pairing page has finished loading (the options page sets the same flag, so check both). */
const PAIRING_PAGE_READY =
  "location.pathname.endsWith('/ui/pairing.html') && document.documentElement.dataset.ready === 'true'";

export const PAIRING_SUCCEEDED = "!document.getElementById('pairing-success').hidden";
export const PAIRING_FAILED = "!document.getElementById('pairing-error').hidden";
export const PAIRING_ENDED = `${PAIRING_SUCCEEDED} || ${PAIRING_FAILED}`;

export const CODE_PATTERN = /^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$/;

/**
 * On the options page of a device that is not signed in: chooses "I already use Push on another
 * device" and returns the code the pairing page shows (the page stays open, waiting).
 */
export async function showPairingCode(options: UiPage): Promise<string> {
  await options.click('#pair-new');
  await options.waitFor(PAIRING_PAGE_READY);
  await options.waitFor("document.getElementById('pairing-code').value !== ''");
  const code = await options.evaluate<string>("document.getElementById('pairing-code').value");
  expect(code).toMatch(CODE_PATTERN);
  return code;
}

/** On the options page of a signed-in device: "Add a device", then type the code. */
export async function typePairingCode(
  options: UiPage,
  code: string,
  deviceName: string,
  beforeSubmit: (page: UiPage) => Promise<void> = async () => {},
): Promise<void> {
  await options.click('#add-device');
  await options.waitFor(PAIRING_PAGE_READY);
  await options.fill('#code-input', code);
  await options.fill('#device-name', deviceName);
  await beforeSubmit(options);
  await options.click('#add-submit');
}

/** The text of an element of the page. */
export function textOf(page: UiPage, id: string): Promise<string> {
  return page.evaluate<string>(`document.getElementById(${js(id)}).textContent`);
}

/** The same code with its last password character changed: the right channel, a wrong code. */
export function mistyped(code: string): string {
  const last = code.at(-1);
  return `${code.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
}
