// A real OpenID Connect provider for tests (npm oidc-provider) on 127.0.0.1 and a free port.
// It approves every sign-in at once (no login or consent page): the user is the
// `login_hint` of the authorization request, or `alice`. It can rotate its signing key, and
// tests can sign tokens of their own with its current key (expired ones, say), which the
// provider itself would never hand out.

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';

export interface TestProviderClient {
  clientId: string;
  redirectUris: string[];
}

export interface TestProviderOptions {
  clients: TestProviderClient[];
  /** Keep the port of an earlier provider (a restart); a free one by default. */
  port?: number;
}

type PrivateJwk = JWK & { kid: string };

async function newSigningKey(): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

export class TestOidcProvider {
  /** The first key signs; the others are still published (a rotation in progress). */
  private keys: PrivateJwk[];
  private provider: Provider;

  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    private readonly clients: TestProviderClient[],
    key: PrivateJwk,
  ) {
    this.keys = [key];
    this.provider = this.makeProvider();
  }

  static async start(options: TestProviderOptions): Promise<TestOidcProvider> {
    const key = await newSigningKey();
    let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const provider = new TestOidcProvider(`http://127.0.0.1:${port}`, server, options.clients, key);
    handler = (req, res) => provider.handle(req, res);
    return provider;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The key new ID tokens are signed with. */
  get currentKid(): string {
    return this.keys[0]!.kid;
  }

  /**
   * A new signing key, as a provider rotates: new tokens are signed with it, and the old key
   * stays published (`dropOld`: gone at once) so tokens already handed out still verify.
   */
  async rotateKeys(options: { dropOld?: boolean } = {}): Promise<void> {
    const fresh = await newSigningKey();
    this.keys = options.dropOld ? [fresh] : [fresh, ...this.keys];
    // The provider reads its keys once, when made; its grants and sessions are in memory
    // and not needed across a rotation.
    this.provider = this.makeProvider();
  }

  /**
   * Registers more redirect URLs for a client: a browser's add-on learns its own
   * (identity.getRedirectURL) only once the browser runs, after the provider started.
   */
  addRedirectUri(clientId: string, redirectUri: string): void {
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client) throw new Error(`no client ${clientId}`);
    client.redirectUris.push(redirectUri);
    this.provider = this.makeProvider();
  }

  /** Signs `claims` with the current key, as the provider would sign an ID token. */
  async signIdToken(claims: JWTPayload & { nonce?: string }): Promise<string> {
    const key = this.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .sign(await importJWK(key, 'RS256'));
  }

  /**
   * The authorization-code flow with PKCE, as a public client runs it, up to the ID token:
   * what a browser does (launchWebAuthFlow), done with fetch and a cookie jar.
   */
  async signIn(input: {
    clientId: string;
    redirectUri: string;
    nonce: string;
    user?: string;
  }): Promise<{ idToken: string }> {
    const verifier = base64url(randomBytes(32));
    const challenge = base64url(createHash('sha256').update(verifier).digest());
    const state = base64url(randomBytes(16));
    const authorize = new URL(`${this.issuer}/auth`);
    for (const [name, value] of Object.entries({
      client_id: input.clientId,
      redirect_uri: input.redirectUri,
      response_type: 'code',
      scope: 'openid',
      nonce: input.nonce,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      login_hint: input.user ?? 'alice',
    })) {
      authorize.searchParams.set(name, value);
    }
    const jar = new Map<string, string>();
    let url = authorize.toString();
    for (let hop = 0; hop < 10; hop++) {
      if (url.startsWith(input.redirectUri)) break;
      const res = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      await res.arrayBuffer();
      const location = res.headers.get('location');
      if (!location) throw new Error(`the provider answered ${res.status} to ${url}`);
      url = new URL(location, url).toString();
    }
    const callback = new URL(url);
    const code = callback.searchParams.get('code');
    if (!code || callback.searchParams.get('state') !== state) {
      throw new Error(`no code came back: ${callback.search}`);
    }
    const token = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: input.redirectUri,
        client_id: input.clientId,
        code_verifier: verifier,
      }),
    });
    const body = (await token.json()) as { id_token?: string; error?: string };
    if (!body.id_token)
      throw new Error(`the token endpoint answered ${token.status}: ${body.error}`);
    return { idToken: body.id_token };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private makeProvider(): Provider {
    const clients: ClientMetadata[] = this.clients.map((c) => ({
      client_id: c.clientId,
      redirect_uris: c.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'none',
    }));
    const provider = new Provider(this.issuer, {
      clients,
      jwks: { keys: this.keys },
      cookies: { keys: ['test cookie key, not a secret'] },
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      // A browser add-on's fetch comes from chrome-extension:// or moz-extension://.
      clientBasedCORS: () => true,
      // Set, so the provider does not print a notice for each default it falls back to.
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    });
    return provider;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url?.startsWith('/interaction/')) {
      void this.approve(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    void this.provider.callback()(req, res);
  }

  /** Signs the user in and grants what the client asked, without a page. */
  private async approve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const provider = this.provider;
    const details = await provider.interactionDetails(req, res);
    const accountId =
      typeof details.params.login_hint === 'string' ? details.params.login_hint : 'alice';
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }
}
