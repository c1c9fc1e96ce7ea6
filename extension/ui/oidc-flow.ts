// The provider's half of an OpenID Connect sign-in (docs/protocol.md §9, "The flow", step 3):
// the authorization-code flow with PKCE, as a public client, in the browser's own sign-in
// window (identity.launchWebAuthFlow), then the code exchanged for an ID token at the
// provider's token endpoint. It runs in the settings page, which stays open meanwhile (a
// Chromium service worker could be stopped while the user types a password at the provider).
// The push server never sees the code; it gets only the ID token, from the background.
import { encodeBase64Url } from '../../shared/crypto/index.js';

export interface OidcFlowDeps {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** identity.launchWebAuthFlow: resolves with the URL the provider redirected to. */
  launchWebAuthFlow: (details: { url: string; interactive: boolean }) => Promise<string>;
  /** identity.getRedirectURL(): where this add-on is registered at the provider. */
  redirectUrl: string;
  randomBytes: (length: number) => Uint8Array;
}

/** A step of the flow failed; `message` is for the user. */
export class OidcFlowError extends Error {
  override name = 'OidcFlowError';
  constructor(
    readonly code: 'cancelled' | 'provider_error' | 'provider_unreachable',
    message: string,
  ) {
    super(message);
  }
}

interface Endpoints {
  authorization: string;
  token: string;
}

const TIMEOUT_MS = 15_000;

async function getJson(deps: OidcFlowDeps, url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await deps.fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch {
    throw new OidcFlowError('provider_unreachable', 'The sign-in provider cannot be reached.');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const described =
      typeof body === 'object' && body !== null && 'error_description' in body
        ? String(body.error_description)
        : `it answered ${res.status}`;
    throw new OidcFlowError('provider_error', `The sign-in provider refused: ${described}.`);
  }
  return body;
}

/** OpenID Connect Discovery: the provider's own document says where to send the user. */
async function discover(deps: OidcFlowDeps, issuer: string): Promise<Endpoints> {
  const doc = await getJson(
    deps,
    `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    {
      headers: { Accept: 'application/json' },
      credentials: 'omit',
    },
  );
  const fields = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const { authorization_endpoint: authorization, token_endpoint: token } = fields;
  if (fields.issuer !== issuer || typeof authorization !== 'string' || typeof token !== 'string') {
    throw new OidcFlowError(
      'provider_error',
      'The sign-in provider does not describe itself as the push server says.',
    );
  }
  return { authorization, token };
}

async function sha256Base64Url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return encodeBase64Url(new Uint8Array(digest));
}

/**
 * Runs the flow for `provider` with the server's `nonce` and returns the provider's ID token.
 * `state` guards the redirect against a forged answer, PKCE the code against a stolen one.
 */
export async function obtainIdToken(
  deps: OidcFlowDeps,
  provider: { issuer: string; clientId: string; name: string },
  nonce: string,
): Promise<string> {
  const endpoints = await discover(deps, provider.issuer);
  const verifier = encodeBase64Url(deps.randomBytes(32));
  const state = encodeBase64Url(deps.randomBytes(16));
  const url = new URL(endpoints.authorization);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: provider.clientId,
    redirect_uri: deps.redirectUrl,
    scope: 'openid',
    state,
    nonce,
    code_challenge: await sha256Base64Url(verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);

  let redirected: URL;
  try {
    redirected = new URL(await deps.launchWebAuthFlow({ url: url.toString(), interactive: true }));
  } catch {
    // Closing the window and being refused look the same from here.
    throw new OidcFlowError(
      'cancelled',
      `The sign-in with ${provider.name} was closed before it finished.`,
    );
  }
  const answer = redirected.searchParams;
  if (answer.get('state') !== state) {
    throw new OidcFlowError(
      'provider_error',
      'The sign-in answer does not belong to this sign-in.',
    );
  }
  const error = answer.get('error');
  if (error) {
    const described = answer.get('error_description') ?? error;
    throw new OidcFlowError(
      'provider_error',
      `${provider.name} refused the sign-in: ${described}.`,
    );
  }
  const code = answer.get('code');
  if (!code) throw new OidcFlowError('provider_error', `${provider.name} sent no sign-in code.`);

  const tokens = await getJson(deps, endpoints.token, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: deps.redirectUrl,
      client_id: provider.clientId,
      code_verifier: verifier,
    }).toString(),
    credentials: 'omit',
  });
  const idToken =
    typeof tokens === 'object' && tokens !== null && 'id_token' in tokens
      ? tokens.id_token
      : undefined;
  if (typeof idToken !== 'string' || idToken.length === 0) {
    throw new OidcFlowError('provider_error', `${provider.name} sent no ID token.`);
  }
  return idToken;
}
