// navigator.push requests from a page, answered for the origin the browser says the page has.
// Errors become the DOMException names of the W3C Push API, so sites can handle them as they
// would with a browser's own push service. Asking the user follows the rules browsers apply to
// Notification.requestPermission: only during a user gesture, one question per site at a time
// (prompt.ts), and not again for a day after three dismissals (prompt-dismissals.ts).
import type {
  PageError,
  PageRequest,
  PageResponse,
  PageResults,
  PageSubscription,
} from '../messaging/page-protocol.js';
import type { Decision } from '../messaging/ui-api.js';
import type { SignedInAccount } from './account-store.js';
import { ApiError, NetworkError, ProtocolError } from './api-client.js';
import { type CachedSubscription, KeyMismatchError } from './subscriptions.js';

export interface PageRequestDeps {
  enabled: () => Promise<boolean>;
  account: () => Promise<SignedInAccount | null>;
  decision: (origin: string) => Promise<Decision | null>;
  remember: (origin: string, decision: Decision) => Promise<void>;
  /** Asks the user in an extension window; null when they closed it without answering. */
  ask: (origin: string) => Promise<Decision | null>;
  /** Until when the site may not ask, after three dismissals; null when it may. */
  quietUntil: (origin: string) => Promise<Date | null>;
  subscriptions: {
    subscribe(
      account: SignedInAccount,
      origin: string,
      key: string | null,
    ): Promise<CachedSubscription>;
    findForOrigin(account: SignedInAccount, origin: string): Promise<CachedSubscription | null>;
    removeForOrigin(
      account: SignedInAccount,
      origin: string,
      endpoint: string | null,
    ): Promise<boolean>;
  };
  toPage: (account: SignedInAccount, subscription: CachedSubscription) => PageSubscription;
  listen: (origin: string) => Promise<void>;
  /** The server refused our token: the device was removed elsewhere. */
  onUnauthorized: () => Promise<void>;
}

class PageFailure extends Error {
  constructor(readonly error: PageError) {
    super(error.message);
  }
}

const notAllowed = (message: string) => new PageFailure({ name: 'NotAllowedError', message });

/** What the browser tells about the call (router.ts). */
export interface PageCall {
  /** The page had transient user activation: a click or key press a moment ago. */
  userActivation: boolean;
}

export async function handlePageRequest(
  deps: PageRequestDeps,
  origin: string,
  request: PageRequest,
  call: PageCall,
): Promise<PageResponse> {
  try {
    return { ok: true, value: await answer(deps, origin, request, call) };
  } catch (err) {
    if (err instanceof PageFailure) return { ok: false, error: err.error };
    if (err instanceof ApiError && err.status === 401) await deps.onUnauthorized();
    return { ok: false, error: pageErrorOf(err) };
  }
}

async function answer(
  deps: PageRequestDeps,
  origin: string,
  request: PageRequest,
  call: PageCall,
): Promise<PageResults[PageRequest['type']]> {
  switch (request.type) {
    case 'subscribe':
      return subscribe(deps, origin, request.applicationServerKey, call);
    case 'getSubscription': {
      const account = await usableAccount(deps);
      if (!account || (await deps.decision(origin)) === 'block') return null;
      const found = await deps.subscriptions.findForOrigin(account, origin);
      return found ? deps.toPage(account, found) : null;
    }
    case 'unsubscribe': {
      const account = await usableAccount(deps);
      if (!account) return false;
      return deps.subscriptions.removeForOrigin(account, origin, request.endpoint);
    }
    case 'permissionState': {
      if (!(await usableAccount(deps))) return 'denied';
      const decision = await deps.decision(origin);
      return decision === 'allow' ? 'granted' : decision === 'block' ? 'denied' : 'prompt';
    }
    case 'listen':
      await deps.listen(origin);
      return true;
  }
}

async function subscribe(
  deps: PageRequestDeps,
  origin: string,
  applicationServerKey: string | null,
  call: PageCall,
): Promise<PageSubscription> {
  if (!(await deps.enabled())) {
    throw notAllowed('Push notifications are turned off in the Push Service add-on.');
  }
  const account = await deps.account();
  if (!account) {
    throw notAllowed('Push notifications are not set up: the user is not signed in to the add-on.');
  }
  let decision = await deps.decision(origin);
  if (decision === null) {
    const quietUntil = await deps.quietUntil(origin);
    if (quietUntil) {
      throw notAllowed(
        `The user dismissed this site's notification question three times; it is not asked again before ${quietUntil.toISOString()}.`,
      );
    }
    // Without a gesture a site could open the question whenever it likes (on every page load).
    if (!call.userActivation) {
      throw notAllowed(
        'subscribe() can ask the user only while handling a user gesture, such as a click.',
      );
    }
    decision = await deps.ask(origin);
    if (decision === null) throw notAllowed('The user did not allow notifications.');
    await deps.remember(origin, decision);
  }
  if (decision === 'block') throw notAllowed('The user blocked notifications from this site.');
  const subscription = await deps.subscriptions.subscribe(account, origin, applicationServerKey);
  return deps.toPage(account, subscription);
}

/** Signed in and opted in; otherwise a page simply has no subscription. */
async function usableAccount(deps: PageRequestDeps): Promise<SignedInAccount | null> {
  if (!(await deps.enabled())) return null;
  return deps.account();
}

function pageErrorOf(err: unknown): PageError {
  if (err instanceof KeyMismatchError) return { name: 'InvalidStateError', message: err.message };
  // The only thing a page sends that the server checks is the key: not a point on P-256.
  if (err instanceof ApiError && err.status === 400) {
    return {
      name: 'InvalidAccessError',
      message: `The push service refused the key: ${err.message}.`,
    };
  }
  if (err instanceof NetworkError) return { name: 'AbortError', message: err.message };
  if (err instanceof ProtocolError || err instanceof ApiError) {
    return { name: 'AbortError', message: `The push service failed: ${err.message}.` };
  }
  return { name: 'AbortError', message: 'The push service failed.' };
}
