// The pairing page, for either device: `?mode=new` on the device that is not signed in yet
// (shows the code), `?mode=add` on the signed-in one (the code is typed here). The pairing
// itself runs in the background; this page starts it, follows it and can close at any time.
import type { ExtensionState, PairingView } from '../messaging/ui-api.js';
import { copyOrSelect } from './clipboard.js';
import { byId, h, say, show } from './dom.js';
import { timeLeft } from './format.js';
import { loadPage } from './page-load.js';
import { call, messageOf, UiCallError } from './rpc.js';
import { describePairing } from './views/pairing-status.js';

type Mode = 'new' | 'add';

/** How often the page asks the background for progress; the relay is polled every second. */
const POLL_MS = 500;

const el = {
  title: byId('title'),
  loading: byId('loading'),
  content: byId('content'),
  newDevice: byId('new-device'),
  serverLine: byId('server-line'),
  codeBox: byId('code-box'),
  code: byId<HTMLOutputElement>('pairing-code'),
  codeCopy: byId<HTMLButtonElement>('code-copy'),
  codeCopyStatus: byId('code-copy-status'),
  countdown: byId('countdown'),
  addDevice: byId('add-device'),
  addForm: byId<HTMLFormElement>('add-form'),
  codeInput: byId<HTMLInputElement>('code-input'),
  deviceName: byId<HTMLInputElement>('device-name'),
  addError: byId('add-error'),
  progressBox: byId('progress-box'),
  progress: byId('progress'),
  error: byId('pairing-error'),
  success: byId('pairing-success'),
  cancel: byId<HTMLButtonElement>('cancel'),
  retry: byId<HTMLButtonElement>('retry'),
  blocked: byId('blocked'),
  blockedText: byId('blocked-text'),
};

let mode: Mode = 'new';
let notificationsOn = true;
let shown: PairingView | null = null;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let countdownTimer: ReturnType<typeof setInterval> | undefined;

const isRunning = (view: PairingView) =>
  view.status === 'starting' ||
  view.status === 'waiting' ||
  view.status === 'verifying' ||
  view.status === 'registering' ||
  view.status === 'finishing';

function render(view: PairingView): void {
  const before = shown;
  shown = view;
  const text = describePairing(view, { notificationsOn });
  show(el.progressBox, view.status !== 'idle');
  say(el.progress, text.progress);
  say(el.error, text.error ?? '', 'error');
  say(el.success, text.success ?? '', 'ok');
  show(el.cancel, text.canCancel);
  show(el.retry, text.canRetry);
  if (mode === 'new') {
    show(el.codeBox, text.showCode);
    if (text.showCode && view.code) el.code.value = view.code;
    if (!text.showCode) el.code.value = '';
    tickCountdown();
  } else {
    lockForm(isRunning(view));
    if (view.status === 'done') el.codeInput.value = '';
  }
  // Keyboard users land where they can go on once the pairing has ended.
  const ended = before !== null && isRunning(before) && !isRunning(view);
  if (ended && text.canRetry) el.retry.focus();
  if (ended && view.status === 'done' && mode === 'add') el.codeInput.focus();
  if (isRunning(view)) schedulePoll();
}

function lockForm(locked: boolean): void {
  for (const control of el.addForm.querySelectorAll<HTMLInputElement | HTMLButtonElement>(
    'input, button',
  )) {
    control.disabled = locked;
  }
}

function schedulePoll(): void {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    try {
      render(await call('getPairing'));
    } catch (err) {
      say(el.error, messageOf(err), 'error');
    }
  }, POLL_MS);
}

function tickCountdown(): void {
  const view = shown;
  const active = mode === 'new' && view !== null && view.expiresAt !== null && isRunning(view);
  if (!active) {
    clearInterval(countdownTimer);
    countdownTimer = undefined;
    el.countdown.textContent = '';
    return;
  }
  const left = timeLeft(view.expiresAt!);
  el.countdown.textContent =
    left === '0:00' ? 'This code has expired.' : `The code expires in ${left} (minutes:seconds).`;
  countdownTimer ??= setInterval(tickCountdown, 1000);
}

async function startNewDevice(): Promise<void> {
  say(el.codeCopyStatus, '');
  render(await call('startNewDevicePairing'));
}

function blocked(message: string, link: { href: string; text: string } | null): void {
  show(el.newDevice, false);
  show(el.addDevice, false);
  show(el.blocked, true);
  el.blockedText.replaceChildren(
    message,
    ...(link ? [' ', h('a', { href: link.href, id: 'blocked-link' }, link.text)] : []),
  );
}

function wire(): void {
  el.addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    say(el.addError, '');
    // Locked while the background checks the code; render() keeps it locked while it runs.
    lockForm(true);
    void (async () => {
      try {
        render(
          await call('startAddDevicePairing', {
            code: el.codeInput.value,
            deviceName: el.deviceName.value,
          }),
        );
      } catch (err) {
        lockForm(false);
        say(el.addError, messageOf(err), 'error');
        const nameWrong = err instanceof UiCallError && err.code === 'invalid_device_name';
        (nameWrong ? el.deviceName : el.codeInput).focus();
      }
    })();
  });

  el.cancel.addEventListener('click', async () => {
    try {
      render(await call('cancelPairing'));
    } catch (err) {
      say(el.error, messageOf(err), 'error');
    }
  });

  el.retry.addEventListener('click', async () => {
    if (mode === 'add') {
      show(el.progressBox, false);
      el.codeInput.select();
      el.codeInput.focus();
      return;
    }
    try {
      await startNewDevice();
      el.cancel.focus();
    } catch (err) {
      say(el.error, messageOf(err), 'error');
    }
  });

  el.codeCopy.addEventListener('click', () => copyOrSelect(el.code, el.codeCopyStatus));
}

function modeOf(state: ExtensionState): Mode {
  const asked = new URLSearchParams(location.search).get('mode');
  if (asked === 'new' || asked === 'add') return asked;
  return state.account?.clientId ? 'add' : 'new';
}

async function showNewDevice(state: ExtensionState, view: PairingView): Promise<void> {
  el.title.textContent = 'I already use Push on another device';
  document.title = 'Pair this device — Push Service';
  show(el.newDevice, true);
  el.serverLine.textContent = `Push server: ${state.serverUrl}. Your other device must use the same server (change it in the settings).`;
  const ours = view.role === 'new-device';
  const signedIn = Boolean(state.account?.clientId);
  // Reopened while it runs, to see how it ended after a restart of the add-on, or right after
  // it signed this device in.
  if (
    ours &&
    (isRunning(view) || view.error?.code === 'interrupted' || (view.status === 'done' && signedIn))
  ) {
    render(view);
    return;
  }
  if (signedIn) {
    blocked(`This device is already signed in as “${state.account?.username}”.`, {
      href: 'pairing.html?mode=add',
      text: 'Add another device to this account',
    });
    return;
  }
  await startNewDevice();
}

function showAddDevice(state: ExtensionState, view: PairingView): void {
  el.title.textContent = 'Add a device';
  show(el.addDevice, true);
  if (!state.account?.clientId) {
    blocked('Sign in on this device first: only a signed-in device can add another one.', {
      href: 'pairing.html?mode=new',
      text: 'Or pair this device with one that is signed in',
    });
    return;
  }
  const ours = view.role === 'add-device';
  if (ours && (isRunning(view) || view.error?.code === 'interrupted')) render(view);
  if (!isRunning(view)) el.codeInput.focus();
}

async function main(): Promise<void> {
  wire();
  await loadPage(el, async () => {
    const [state, view] = await Promise.all([call('getState'), call('getPairing')]);
    notificationsOn = state.enabled;
    mode = modeOf(state);
    if (mode === 'new') await showNewDevice(state, view);
    else showAddDevice(state, view);
  });
}

void main();
