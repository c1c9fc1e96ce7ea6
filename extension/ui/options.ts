// The settings page: opt-in, server choice, the account (sign up, recovery key, add this
// browser to an account, sign out) and the per-site permissions. All state lives in the
// background; this page shows it and asks. The add-on opens it once, right after install.
import browser from 'webextension-polyfill';
import {
  insecureServerWarning,
  needsHostPermission,
  normalizeServerUrl,
} from '../messaging/server-url.js';
import type { ExtensionState, OidcProviderView, SiteDecision } from '../messaging/ui-api.js';
import { copyOrSelect } from './clipboard.js';
import { busy, button, byId, say, show } from './dom.js';
import { defaultDeviceName, enabledHint } from './format.js';
import { OidcFlowError, obtainIdToken } from './oidc-flow.js';
import { loadPage } from './page-load.js';
import { call, messageOf, UiCallError } from './rpc.js';
import { renderSites } from './views/sites.js';

const el = {
  loading: byId('loading'),
  content: byId('content'),
  notice: byId('notice'),
  noticeText: byId('notice-text'),
  noticeDismiss: byId<HTMLButtonElement>('notice-dismiss'),
  enabled: byId<HTMLInputElement>('enabled'),
  enabledHint: byId('enabled-hint'),
  serverForm: byId<HTMLFormElement>('server-form'),
  serverUrl: byId<HTMLInputElement>('server-url'),
  serverSave: byId<HTMLButtonElement>('server-save'),
  serverTest: byId<HTMLButtonElement>('server-test'),
  serverStatus: byId('server-status'),
  signedOut: byId('signed-out'),
  oidc: byId<HTMLFieldSetElement>('oidc'),
  oidcProviders: byId('oidc-providers'),
  oidcRecovery: byId<HTMLTextAreaElement>('oidc-recovery'),
  oidcDevice: byId<HTMLInputElement>('oidc-device'),
  oidcStatus: byId('oidc-status'),
  oidcError: byId('oidc-error'),
  oidcRedirect: byId('oidc-redirect'),
  signupForm: byId<HTMLFormElement>('signup-form'),
  signupUsername: byId<HTMLInputElement>('signup-username'),
  signupPassword: byId<HTMLInputElement>('signup-password'),
  signupDevice: byId<HTMLInputElement>('signup-device'),
  signupError: byId('signup-error'),
  signinForm: byId<HTMLFormElement>('signin-form'),
  signinUsername: byId<HTMLInputElement>('signin-username'),
  signinPassword: byId<HTMLInputElement>('signin-password'),
  signinRecovery: byId<HTMLTextAreaElement>('signin-recovery'),
  signinDevice: byId<HTMLInputElement>('signin-device'),
  signinError: byId('signin-error'),
  recovery: byId('recovery'),
  recoveryKey: byId<HTMLOutputElement>('recovery-key'),
  recoveryCopy: byId<HTMLButtonElement>('recovery-copy'),
  recoveryCopyStatus: byId('recovery-copy-status'),
  recoverySaved: byId<HTMLInputElement>('recovery-saved'),
  recoveryDone: byId<HTMLButtonElement>('recovery-done'),
  needsDevice: byId<HTMLFormElement>('needs-device'),
  needsDeviceText: byId('needs-device-text'),
  devicePassword: byId<HTMLInputElement>('device-password'),
  deviceError: byId('device-error'),
  signedIn: byId('signed-in'),
  signedInText: byId('signed-in-text'),
  showRecovery: byId<HTMLButtonElement>('show-recovery'),
  signout: byId<HTMLButtonElement>('signout'),
  signoutError: byId('signout-error'),
  sites: byId<HTMLUListElement>('sites'),
  sitesStatus: byId('sites-status'),
};

/** Set while the user reads a recovery key they asked to see again (already confirmed). */
let reviewingRecoveryKey = false;

async function render(state: ExtensionState): Promise<void> {
  el.enabled.checked = state.enabled;
  el.enabledHint.textContent = enabledHint(state);
  if (document.activeElement !== el.serverUrl) el.serverUrl.value = state.serverUrl;
  const locked = state.account !== null;
  el.serverUrl.readOnly = locked;
  el.serverSave.disabled = locked;
  if (locked) say(el.serverStatus, 'Sign out to choose another server.');

  show(el.notice, state.notice !== null);
  el.noticeText.textContent = state.notice ?? '';

  const account = state.account;
  const view =
    account === null
      ? 'signed-out'
      : account.clientId === null
        ? 'needs-device'
        : !account.recoveryKeyConfirmed || reviewingRecoveryKey
          ? 'recovery'
          : 'signed-in';
  show(el.signedOut, view === 'signed-out');
  show(el.needsDevice, view === 'needs-device');
  show(el.recovery, view === 'recovery');
  show(el.signedIn, view === 'signed-in');
  if (account && view === 'needs-device') {
    el.needsDeviceText.textContent = `The account “${account.username}” exists, but this device is not registered yet. Enter the password to finish.`;
  }
  if (account && view === 'signed-in') {
    el.signedInText.textContent = `Signed in as “${account.username}” on ${account.serverUrl}. This device: ${account.deviceName}.`;
  }
  if (view === 'recovery' && el.recoveryKey.value === '') {
    el.recoveryKey.value = (await call('showRecoveryKey')).recoveryKey;
    el.recoverySaved.checked = reviewingRecoveryKey;
    el.recoveryDone.disabled = !el.recoverySaved.checked;
  }
  if (view !== 'recovery') el.recoveryKey.value = '';
}

async function refresh(): Promise<void> {
  await render(await call('getState'));
}

/** The server in the settings decides which providers there are (GET /v1/info). */
async function loadProviders(): Promise<void> {
  const providers = await call('oidcProviders');
  el.oidcProviders.replaceChildren(
    ...providers.map((provider) =>
      button(
        `Sign in with ${provider.name}`,
        `Sign in with ${provider.name}`,
        () => void signInWith(provider),
      ),
    ),
  );
  show(el.oidc, providers.length > 0);
}

/** The identity API's redirect URL, which the provider must list for this add-on. */
function redirectUrl(): string {
  return browser.identity.getRedirectURL();
}

async function signInWith(provider: OidcProviderView): Promise<void> {
  say(el.oidcError, '');
  // A provider outside the loopback hosts needs the user's leave, asked within the click.
  const permitted = await permitServer(provider.issuer).catch(() => false);
  if (!permitted) {
    say(el.oidcError, `Without your permission the add-on cannot reach ${provider.name}.`, 'error');
    return;
  }
  try {
    await busy(el.oidc, async () => {
      say(el.oidcStatus, `Waiting for ${provider.name}… (a sign-in window is open)`);
      const { nonce } = await call('oidcNonce');
      const idToken = await obtainIdToken(
        {
          fetch: (input, init) => fetch(input, init),
          launchWebAuthFlow: (details) => browser.identity.launchWebAuthFlow(details),
          redirectUrl: redirectUrl(),
          randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
        },
        provider,
        nonce,
      );
      say(el.oidcStatus, 'Signing in to the push server…');
      const { state, recoveryKey } = await call('signInWithOidc', {
        issuer: provider.issuer,
        idToken,
        recoveryKey: el.oidcRecovery.value,
        deviceName: el.oidcDevice.value,
      });
      el.oidcRecovery.value = '';
      if (recoveryKey !== null) el.recoveryKey.value = recoveryKey;
      await render(state);
      if (recoveryKey !== null) el.recoveryCopy.focus();
    });
  } catch (err) {
    say(el.oidcError, err instanceof OidcFlowError ? err.message : messageOf(err), 'error');
    if (err instanceof UiCallError && err.code.includes('recovery_key')) el.oidcRecovery.focus();
    if (err instanceof UiCallError && err.code === 'secret_key_needed') el.oidcRecovery.focus();
  } finally {
    say(el.oidcStatus, '');
  }
}

async function loadSites(): Promise<void> {
  renderSites(
    el.sites,
    await call('listSites'),
    (origin, decision) => void changeSite(origin, decision),
  );
}

async function changeSite(origin: string, decision: SiteDecision | null): Promise<void> {
  try {
    await call('setSiteDecision', { origin, decision });
    say(el.sitesStatus, decision === null ? 'Removed.' : 'Saved.', 'ok');
  } catch (err) {
    say(el.sitesStatus, messageOf(err), 'error');
  }
  await loadSites();
}

/** Asks for access to a server outside the loopback hosts the manifest grants. */
async function permitServer(serverUrl: string): Promise<boolean> {
  if (!needsHostPermission(serverUrl)) return true;
  // Must be the first await of the click: browsers allow the request only in a user gesture.
  return browser.permissions.request({ origins: [`${new URL(serverUrl).origin}/*`] });
}

function wire(): void {
  el.noticeDismiss.addEventListener('click', async () => render(await call('dismissNotice')));
  // A site answered in a prompt (or unsubscribed in the popup) while this page is open.
  browser.storage.onChanged.addListener((changes) => {
    if ('sitePermissions' in changes || 'promptDismissals' in changes) void loadSites();
  });

  el.enabled.addEventListener('change', async () => {
    try {
      await render(await call('setEnabled', { enabled: el.enabled.checked }));
    } catch (err) {
      el.enabled.checked = !el.enabled.checked;
      say(el.serverStatus, messageOf(err), 'error');
    }
  });

  el.serverForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void checkServer(async (serverUrl) => {
      await render(await call('setServerUrl', { serverUrl }));
      await loadProviders();
      const warning = insecureServerWarning(serverUrl);
      say(el.serverStatus, warning ? `Saved. ${warning}` : 'Saved.', warning ? 'error' : 'ok');
    });
  });

  el.serverTest.addEventListener('click', () => {
    void checkServer(async (serverUrl) => {
      say(el.serverStatus, 'Testing…');
      const result = await call('testConnection', { serverUrl });
      say(el.serverStatus, result.message, result.ok ? 'ok' : 'error');
    });
  });

  el.signupForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(
      el.signupForm,
      el.signupError,
      async () => {
        const { recoveryKey } = await call('signUp', {
          username: el.signupUsername.value,
          password: el.signupPassword.value,
          deviceName: el.signupDevice.value,
        });
        el.signupPassword.value = '';
        el.recoveryKey.value = recoveryKey;
        await refresh();
        el.recoveryCopy.focus();
      },
      (err) => {
        if (err instanceof UiCallError && err.code === 'username_taken') el.signupUsername.focus();
        else if (err instanceof UiCallError && err.code === 'weak_password')
          el.signupPassword.focus();
        else if (err instanceof UiCallError && err.code === 'device_not_registered') void refresh();
      },
    );
  });

  el.signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(
      el.signinForm,
      el.signinError,
      async () => {
        await render(
          await call('signIn', {
            username: el.signinUsername.value,
            password: el.signinPassword.value,
            recoveryKey: el.signinRecovery.value,
            deviceName: el.signinDevice.value,
          }),
        );
        el.signinPassword.value = '';
        el.signinRecovery.value = '';
      },
      (err) => {
        if (err instanceof UiCallError && err.code === 'wrong_password') el.signinPassword.focus();
        else if (err instanceof UiCallError && err.code.includes('recovery_key'))
          el.signinRecovery.focus();
      },
    );
  });

  el.needsDevice.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(el.needsDevice, el.deviceError, async () => {
      await render(await call('registerDevice', { password: el.devicePassword.value }));
      el.devicePassword.value = '';
    });
  });

  el.recoveryCopy.addEventListener('click', () =>
    copyOrSelect(el.recoveryKey, el.recoveryCopyStatus),
  );
  el.recoverySaved.addEventListener('change', () => {
    el.recoveryDone.disabled = !el.recoverySaved.checked;
  });
  el.recoveryDone.addEventListener('click', async () => {
    reviewingRecoveryKey = false;
    el.recoveryKey.value = '';
    say(el.recoveryCopyStatus, '');
    await render(await call('confirmRecoveryKeySaved'));
    el.showRecovery.focus();
  });

  el.showRecovery.addEventListener('click', async () => {
    reviewingRecoveryKey = true;
    await refresh();
    el.recoveryCopy.focus();
  });

  el.signout.addEventListener('click', () => {
    void submit(el.signedIn, el.signoutError, async () => {
      await render(await call('signOut'));
      await loadProviders();
      el.signupUsername.focus();
    });
  });
}

async function checkServer(work: (serverUrl: string) => Promise<void>): Promise<void> {
  const normalized = normalizeServerUrl(el.serverUrl.value);
  if (!normalized.ok) {
    say(el.serverStatus, normalized.message, 'error');
    el.serverUrl.focus();
    return;
  }
  // A permission request that fails is one not granted; the message below says what to do.
  const permitted = await permitServer(normalized.url).catch(() => false);
  if (!permitted) {
    say(
      el.serverStatus,
      'Without your permission the add-on cannot connect to that server.',
      'error',
    );
    return;
  }
  try {
    await busy(el.serverForm, () => work(normalized.url));
  } catch (err) {
    say(el.serverStatus, messageOf(err), 'error');
  }
}

async function submit(
  form: HTMLElement,
  errorLine: HTMLElement,
  work: () => Promise<void>,
  onError?: (err: unknown) => void,
): Promise<void> {
  say(errorLine, '');
  try {
    await busy(form, work);
  } catch (err) {
    say(errorLine, messageOf(err), 'error');
    onError?.(err);
  }
}

async function main(): Promise<void> {
  const deviceName = defaultDeviceName(navigator.userAgent);
  el.signupDevice.value = deviceName;
  el.signinDevice.value = deviceName;
  el.oidcDevice.value = deviceName;
  el.oidcRedirect.textContent = redirectUrl();
  wire();
  await loadPage(el, async () => {
    await Promise.all([refresh(), loadSites()]);
  });
  // Not awaited with the rest: a server that is slow to answer must not hold up the page,
  // and until it answers the page simply offers no provider.
  void loadProviders().catch(() => undefined);
  // The popup's "Site permissions" opens this page at #sites.
  if (window.location.hash === '#sites') byId('sites-section').scrollIntoView();
}

void main();
