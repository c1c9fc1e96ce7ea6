// Every input the admin API accepts, validated before use.
import { z } from 'zod';
import { normalizeIp } from '../dos/ip.js';
import { DosSettingsPatch, SETTING_NAMES } from '../dos/settings.js';

export const IpAddress = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .transform((raw, ctx) => {
    const ip = normalizeIp(raw);
    if (!ip) {
      ctx.addIssue({ code: 'custom', message: 'not an IP address' });
      return z.NEVER;
    }
    return ip;
  });

/** Ids handed out by the server are base64url. */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id');

export const BoxRequest = z
  .object({
    ip: IpAddress,
    /** Defaults to the bad-request penalty. */
    seconds: z.number().int().min(1).max(2_592_000).optional(),
  })
  .strict();

export const SettingsUpdate = DosSettingsPatch.refine((patch) => Object.keys(patch).length > 0, {
  message: 'give at least one setting',
});

export const SettingsReset = z
  .object({ names: z.array(z.enum(SETTING_NAMES as [string, ...string[]])).optional() })
  .strict();

export const AccountSearch = z.object({
  q: z.string().trim().max(128).default(''),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const Limit = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const TopTalkersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

/** PUT /admin/api/accounts/{userId}/quotas: a number sets a quota, null goes back to the default. */
export const QuotasUpdate = z
  .object({
    maxClients: z.number().int().min(1).max(100_000).nullable().optional(),
    maxSubscriptions: z.number().int().min(1).max(10_000_000).nullable().optional(),
  })
  .strict()
  .refine((change) => Object.keys(change).length > 0, {
    message: 'give maxClients or maxSubscriptions',
  });
