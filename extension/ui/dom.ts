// Building DOM without innerHTML: text from the server or a push payload is always text.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A button with an accessible name that may say more than its visible text. */
export function button(
  text: string,
  label: string,
  onClick: () => void,
  className?: string,
): HTMLButtonElement {
  const b = h('button', { type: 'button', 'aria-label': label, class: className }, text);
  b.addEventListener('click', onClick);
  return b;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id} in the page`);
  return element as T;
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** A status line: `role="status"` or `role="alert"` elements announce the change. */
export function say(
  element: HTMLElement,
  text: string,
  kind: 'info' | 'error' | 'ok' = 'info',
): void {
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = text === '';
}

/** Disables a form's controls while `work` runs, so a double click does not send twice. */
export async function busy<T>(
  form: HTMLFormElement | HTMLElement,
  work: () => Promise<T>,
): Promise<T> {
  const controls = [
    ...form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input, select'),
  ];
  const wasDisabled = controls.map((c) => c.disabled);
  for (const c of controls) c.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    controls.forEach((c, i) => {
      c.disabled = wasDisabled[i] ?? false;
    });
    form.removeAttribute('aria-busy');
  }
}

/** Tests and screenshots wait for this instead of for navigation events. */
export function markReady(): void {
  document.documentElement.dataset.ready = 'true';
}
