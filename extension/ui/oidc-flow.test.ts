// The provider's half of an OpenID Connect sign-in (docs/protocol.md §9): discovery, the
// authorization request with PKCE, state and nonce, the redirect checked, the code exchanged.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type OidcFlowDeps, OidcFlowError, obtainIdToken } from './oidc-flow.js';

const ISSUER = 'https://id.example/realm';
const REDIRECT = 'https://abc.chromiumapp.org/';
const provider = { issuer: ISSUER, clientId: 'push-addon', name: 'Example ID' };

interface Fake {
  deps: OidcFlowDeps;
  /** The authorization URL the browser window was opened with. */
  opened: () => URL;
  /** The form posted to the token endpoint. */
  tokenForm: () => URLSearchParams;
}

function fake(
  options: {
    discovery?: Record<string, unknown>;
    redirect?: (authorize: URL) => string;
    tokenAnswer?: { status: number; body: unknown };
    cancel?: boolean;
  } = {},
): Fake {
  let opened: URL | null = null;
  let form: URLSearchParams | null = null;
  let counter = 0;
  const deps: OidcFlowDeps = {
    redirectUrl: REDIRECT,
    randomBytes: (length) => new Uint8Array(length).fill(++counter),
    async fetch(input, init) {
      if (input === `${ISSUER}/.well-known/openid-configuration`) {
        return Response.json(
          options.discovery ?? {
            issuer: ISSUER,
            authorization_endpoint: `${ISSUER}/auth`,
            token_endpoint: `${ISSUER}/token`,
          },
        );
      }
      if (input === `${ISSUER}/token` && init.method === 'POST') {
        form = new URLSearchParams(String(init.body));
        const answer = options.tokenAnswer ?? { status: 200, body: { id_token: 'the.id.token' } };
        return Response.json(answer.body, { status: answer.status });
      }
      return new Response(null, { status: 404 });
    },
    async launchWebAuthFlow({ url, interactive }) {
      expect(interactive).toBe(true);
      opened = new URL(url);
      if (options.cancel) throw new Error('The user did not approve access.');
      const state = opened.searchParams.get('state');
      return options.redirect?.(opened) ?? `${REDIRECT}?code=the-code&state=${state}`;
    },
  };
  return {
    deps,
    opened: () => opened!,
    tokenForm: () => form!,
  };
}

describe('obtainIdToken', () => {
  it('runs the code flow with PKCE S256, the server nonce and a state, and returns the ID token', async () => {
    const f = fake();
    expect(await obtainIdToken(f.deps, provider, 'server-nonce')).toBe('the.id.token');
    const q = f.opened().searchParams;
    expect(`${f.opened().origin}${f.opened().pathname}`).toBe(`${ISSUER}/auth`);
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: 'push-addon',
      redirect_uri: REDIRECT,
      scope: 'openid',
      nonce: 'server-nonce',
      code_challenge_method: 'S256',
    });
    const form = f.tokenForm();
    expect(Object.fromEntries(form)).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: REDIRECT,
      client_id: 'push-addon',
    });
    // The challenge sent first is the SHA-256 of the verifier sent last.
    const verifier = form.get('code_verifier')!;
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('code_challenge')).toBe(createHash('sha256').update(verifier).digest('base64url'));
    expect(q.get('state')).not.toBe(verifier);
  });

  it('refuses an answer with another state (a forged redirect)', async () => {
    const f = fake({ redirect: () => `${REDIRECT}?code=c&state=forged` });
    await expect(obtainIdToken(f.deps, provider, 'n')).rejects.toMatchObject({
      code: 'provider_error',
      message: 'The sign-in answer does not belong to this sign-in.',
    });
  });

  it("passes on the provider's refusal and a closed window in plain words", async () => {
    const refused = fake({
      redirect: (u) =>
        `${REDIRECT}?error=access_denied&error_description=no+consent&state=${u.searchParams.get('state')}`,
    });
    await expect(obtainIdToken(refused.deps, provider, 'n')).rejects.toThrow(
      'Example ID refused the sign-in: no consent.',
    );
    const closed = fake({ cancel: true });
    await expect(obtainIdToken(closed.deps, provider, 'n')).rejects.toMatchObject({
      code: 'cancelled',
    });
  });

  it('refuses a discovery document of another issuer, before opening any window', async () => {
    const f = fake({
      discovery: {
        issuer: 'https://evil.example',
        authorization_endpoint: 'https://evil.example/auth',
        token_endpoint: 'https://evil.example/token',
      },
    });
    await expect(obtainIdToken(f.deps, provider, 'n')).rejects.toBeInstanceOf(OidcFlowError);
    expect(f.opened()).toBeNull();
  });

  it('says when the token endpoint refuses the code or sends no ID token', async () => {
    const refused = fake({
      tokenAnswer: { status: 400, body: { error: 'invalid_grant', error_description: 'bad code' } },
    });
    await expect(obtainIdToken(refused.deps, provider, 'n')).rejects.toThrow(
      'The sign-in provider refused: bad code.',
    );
    const empty = fake({ tokenAnswer: { status: 200, body: { access_token: 'x' } } });
    await expect(obtainIdToken(empty.deps, provider, 'n')).rejects.toThrow(
      'Example ID sent no ID token.',
    );
  });
});
