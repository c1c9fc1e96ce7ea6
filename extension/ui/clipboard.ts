// Copying a code or key the user has to carry to another device or a password manager.
import { say } from './dom.js';

/**
 * Copies the text of `source` and says so in `status`. The clipboard API may refuse (the page
 * lost focus, or the browser wants a permission); the text is then selected instead, so that
 * Ctrl+C still works.
 */
export async function copyOrSelect(source: HTMLOutputElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(source.value);
    say(status, 'Copied to the clipboard.', 'ok');
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    document.getSelection()?.removeAllRanges();
    document.getSelection()?.addRange(range);
    say(status, 'Selected: press Ctrl+C (or ⌘C) to copy.');
  }
}
