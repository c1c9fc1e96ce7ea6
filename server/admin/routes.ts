// /admin: the page, its two static files, and the JSON API under /admin/api (Bearer
// ADMIN_TOKEN). Every error is the protocol's {"error","message"}; every input goes
// through a zod schema (schemas.ts).
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { z } from 'zod';
import { AllowListedError } from '../dos/defense.js';
import type { SettingName } from '../dos/settings.js';
import type { AppEnv } from '../http/app-env.js';
import { readJson } from '../http/body.js';
import { badRequest, describeZodError, HttpError, notFound } from '../http/errors.js';
import type { Services } from '../services.js';
import type { AccountAdmin } from './accounts.js';
import type {
  AccountDetail,
  AccountList,
  AuditList,
  BoxedAddress,
  Figures,
  PenaltyBoxView,
  SettingsView,
} from './api-types.js';
import type { AuditLog } from './audit.js';
import { adminEnabled, requireAdminToken } from './auth.js';
import type { LiveFigures } from './figures.js';
import { renderAdminPage } from './page.js';
import {
  AccountSearch,
  BoxRequest,
  Id,
  IpAddress,
  Limit,
  QuotasUpdate,
  SettingsReset,
  SettingsUpdate,
  TopTalkersQuery,
} from './schemas.js';
import { loadAdminScript } from './script.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** The page's script, built once per process (script.ts); a failed build is tried again. */
function adminScript(): () => Promise<string> {
  let script: Promise<string> | null = null;
  return () => {
    script ??= loadAdminScript().catch((err: unknown) => {
      script = null;
      throw err;
    });
    return script;
  };
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}

export interface AdminRouteDeps {
  services: Services;
  figures: LiveFigures;
  accounts: AccountAdmin;
  audit: AuditLog;
}

export function adminRoutes({ services, figures, accounts, audit }: AdminRouteDeps): Hono<AppEnv> {
  const { config, dos } = services;
  const app = new Hono<AppEnv>();
  const page = renderAdminPage();
  const script = adminScript();
  const style = asset('admin.css');

  app.use('*', adminEnabled(config.adminToken));
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
  });

  app.get('/', (c) => {
    c.header('Content-Security-Policy', CSP);
    return c.html(page);
  });
  app.get('/assets/admin.js', async (c) =>
    c.body(await script(), 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/assets/admin.css', (c) =>
    c.body(style, 200, { 'Content-Type': 'text/css; charset=utf-8' }),
  );

  const api = new Hono<AppEnv>();
  if (config.adminToken) api.use('*', requireAdminToken(config.adminToken));
  const actor = (c: { get(key: 'clientIp'): string | undefined }) => c.get('clientIp') ?? 'unknown';

  api.get('/overview', async (c) => c.json((await figures.current()) satisfies Figures));

  // -- penalty box --------------------------------------------------------------------------

  api.get('/penalty-box', (c) => {
    const { limit } = parse(TopTalkersQuery, c.req.query());
    return c.json({
      observeOnly: dos.settings.observeOnly,
      memcachedSync: dos.sharedBoxReachable,
      entries: dos.boxed().map((e) => ({
        ip: e.ip,
        reason: e.reason,
        boxedAt: new Date(e.boxedAt).toISOString(),
        until: new Date(e.until).toISOString(),
        secondsLeft: e.secondsLeft,
      })),
      topTalkers: dos.topTalkers(limit),
    } satisfies PenaltyBoxView);
  });

  api.post('/penalty-box', async (c) => {
    const { ip, seconds } = await readJson(c, BoxRequest);
    const duration = seconds ?? dos.settings.badRequestPenaltySeconds;
    let entry: ReturnType<typeof dos.boxByHand>;
    try {
      entry = dos.boxByHand(ip, duration);
    } catch (err) {
      if (err instanceof AllowListedError) throw badRequest(err.message, 'ip_allow_listed');
      throw err;
    }
    await audit.record('ip.box', { kind: 'ip', ip }, { seconds: duration }, actor(c));
    return c.json(
      {
        ip: entry.ip,
        reason: entry.reason,
        until: new Date(entry.until).toISOString(),
      } satisfies BoxedAddress,
      201,
    );
  });

  api.delete('/penalty-box/:ip', async (c) => {
    const ip = parse(IpAddress, c.req.param('ip'));
    if (!dos.unbox(ip)) throw notFound('this address is not in the penalty box');
    await audit.record('ip.unbox', { kind: 'ip', ip }, null, actor(c));
    return c.body(null, 204);
  });

  // -- settings ------------------------------------------------------------------------------

  api.get('/settings', (c) => c.json(dos.liveSettings.view() satisfies SettingsView));

  api.put('/settings', async (c) => {
    const patch = await readJson(c, SettingsUpdate);
    await dos.liveSettings.update(patch);
    await audit.record('settings.update', null, patch, actor(c));
    return c.json(dos.liveSettings.view());
  });

  api.post('/settings/reset', async (c) => {
    const { names } = await readJson(c, SettingsReset);
    await dos.liveSettings.reset(names as SettingName[] | undefined);
    await audit.record('settings.reset', null, { names: names ?? 'all' }, actor(c));
    return c.json(dos.liveSettings.view());
  });

  // -- accounts and clients ----------------------------------------------------------------

  api.get('/accounts', async (c) => {
    const { q, limit } = parse(AccountSearch, c.req.query());
    return c.json({ accounts: await accounts.search(q, limit) } satisfies AccountList);
  });

  api.get('/accounts/:userId', async (c) => {
    const userId = parse(Id, c.req.param('userId'));
    const detail = await accounts.detail(userId);
    if (!detail) throw notFound('no such account');
    return c.json(detail);
  });

  for (const [path, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    api.post(`/accounts/:userId/${path}`, async (c) => {
      const userId = parse(Id, c.req.param('userId'));
      if (!(await accounts.setDisabled(userId, disabled))) throw notFound('no such account');
      await audit.record(
        disabled ? 'account.disable' : 'account.enable',
        { kind: 'id', id: userId },
        null,
        actor(c),
      );
      return c.json(await accounts.detail(userId));
    });
  }

  api.put('/accounts/:userId/quotas', async (c) => {
    const userId = parse(Id, c.req.param('userId'));
    const change = await readJson(c, QuotasUpdate);
    if (!(await accounts.setQuotas(userId, change))) throw notFound('no such account');
    await audit.record('account.quotas', { kind: 'id', id: userId }, change, actor(c));
    return c.json((await accounts.detail(userId)) satisfies AccountDetail | null);
  });

  api.delete('/accounts/:userId', async (c) => {
    const userId = parse(Id, c.req.param('userId'));
    if (!(await accounts.delete(userId))) throw notFound('no such account');
    await audit.record('account.delete', { kind: 'id', id: userId }, null, actor(c));
    return c.body(null, 204);
  });

  api.delete('/clients/:clientId', async (c) => {
    const clientId = parse(Id, c.req.param('clientId'));
    const revoked = await accounts.revokeClient(clientId);
    if (!revoked) throw notFound('no such client');
    await audit.record(
      'client.revoke',
      { kind: 'id', id: clientId },
      { userId: revoked.userId },
      actor(c),
    );
    return c.body(null, 204);
  });

  api.get('/audit', async (c) => {
    const { limit } = parse(Limit, c.req.query());
    return c.json({ entries: await audit.list(limit) } satisfies AuditList);
  });

  api.all('*', () => {
    throw new HttpError(404, 'not_found', 'no such admin API call');
  });

  app.route('/api', api);
  return app;
}
