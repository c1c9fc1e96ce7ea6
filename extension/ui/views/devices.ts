// The user's devices (clients of the account), with Remove.
import type { DeviceView } from '../../messaging/ui-api.js';
import { button, h } from '../dom.js';
import { relativeTime } from '../format.js';

/** Removing is not undoable, so it takes a second click to confirm. */
const CONFIRM_WINDOW_MS = 5000;

export function renderDevices(
  list: HTMLUListElement,
  devices: DeviceView[],
  remove: (device: DeviceView) => void,
): void {
  list.replaceChildren(
    ...devices.map((device) => {
      const status = device.connected
        ? 'connected now'
        : device.lastSeenAt
          ? `last seen ${relativeTime(device.lastSeenAt)}`
          : 'never connected';
      const label = device.current ? 'Sign out' : 'Remove';
      let armed = false;
      const control = button(
        label,
        `${label}: ${device.name}`,
        () => {
          if (!armed) {
            armed = true;
            const confirm = device.current ? 'Really sign out?' : 'Really remove?';
            control.textContent = confirm;
            control.setAttribute('aria-label', `${confirm} ${device.name}`);
            setTimeout(() => {
              armed = false;
              control.textContent = label;
              control.setAttribute('aria-label', `${label}: ${device.name}`);
            }, CONFIRM_WINDOW_MS);
            return;
          }
          remove(device);
        },
        'danger',
      );
      return h(
        'li',
        { class: 'device', 'data-id': device.clientId },
        h(
          'div',
          { class: 'main' },
          h('div', { class: 'title' }, device.name, device.current && ' (this device)'),
          h('div', { class: 'meta' }, status),
        ),
        control,
      );
    }),
  );
}
