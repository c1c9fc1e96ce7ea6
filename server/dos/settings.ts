// The DoS settings in force on this node: the environment's values (config.ts), overridden
// by what an admin saved on the admin page. Overrides live in the database's `settings`
// table, which every node of a deployment shares, and each node polls it, so a change
// made on one node is in force on all of them within one poll interval.
import { z } from 'zod';
import type { DosSettings } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/store.js';
import { isValidIpOrCidr } from './allow-list.js';

export type { DosSettings };

const MAX_PENALTY_SECONDS = 2_592_000;

/** What an admin may set; the bounds keep a typo from disabling the defense or the server. */
export const DosSettingsSchema = z
  .object({
    windowSeconds: z.number().int().min(1).max(86_400),
    maxRequests: z.number().int().min(1).max(1_000_000_000),
    maxBadRequests: z.number().int().min(1).max(1_000_000_000),
    requestPenaltySeconds: z.number().int().min(1).max(MAX_PENALTY_SECONDS),
    badRequestPenaltySeconds: z.number().int().min(1).max(MAX_PENALTY_SECONDS),
    lruSize: z.number().int().min(1).max(10_000_000),
    allowList: z
      .array(z.string().trim().refine(isValidIpOrCidr, 'not an IP address or CIDR'))
      .max(10_000),
    observeOnly: z.boolean(),
    trustProxyHops: z.number().int().min(0).max(10),
    trustedProxies: z
      .array(z.string().trim().refine(isValidIpOrCidr, 'not an IP address or CIDR'))
      .max(1000),
  })
  .strict();

export const DosSettingsPatch = DosSettingsSchema.partial().strict();
export type DosSettingsPatch = z.infer<typeof DosSettingsPatch>;

export type SettingName = keyof DosSettings;
export const SETTING_NAMES = Object.keys(DosSettingsSchema.shape) as SettingName[];

const KEY_PREFIX = 'dos.';

/** Where the value in force of a setting comes from. */
export type SettingSource = 'environment' | 'admin';

export interface SettingsView {
  inForce: DosSettings;
  environment: DosSettings;
  /** The settings an admin changed, with their values. */
  overrides: DosSettingsPatch;
  /** For every setting, whether its value in force is the environment's or an admin's. */
  sources: Record<SettingName, SettingSource>;
}

type SettingsStore = Pick<Store, 'listSettings' | 'putSettings' | 'deleteSettings'>;

export class LiveSettings {
  private overrides: DosSettingsPatch = {};
  private effective: DosSettings;
  private readonly listeners: Array<(next: DosSettings, changed: SettingName[]) => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private pollFailing = false;

  constructor(
    private readonly environment: DosSettings,
    private readonly store: SettingsStore,
    private readonly log: Logger,
  ) {
    this.effective = { ...environment };
  }

  /** The settings in force; read on every request, so a plain field. */
  get current(): DosSettings {
    return this.effective;
  }

  view(): SettingsView {
    const sources = Object.fromEntries(
      SETTING_NAMES.map((name) => [name, name in this.overrides ? 'admin' : 'environment']),
    ) as Record<SettingName, SettingSource>;
    return {
      inForce: this.effective,
      environment: this.environment,
      overrides: this.overrides,
      sources,
    };
  }

  onChange(listener: (next: DosSettings, changed: SettingName[]) => void): void {
    this.listeners.push(listener);
  }

  /** Reads the stored overrides now, then every `intervalMs`. */
  async start(intervalMs: number): Promise<void> {
    await this.reload();
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.reload().finally(() => {
          if (this.timer) tick();
        });
      }, intervalMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Saves the given settings for every node and applies them here at once. */
  async update(patch: DosSettingsPatch): Promise<DosSettings> {
    const valid = DosSettingsPatch.parse(patch);
    const rows: Record<string, string> = {};
    for (const [name, value] of Object.entries(valid)) {
      rows[KEY_PREFIX + name] = JSON.stringify(value);
    }
    await this.store.putSettings(rows);
    this.apply({ ...this.overrides, ...valid });
    return this.effective;
  }

  /** Forgets the admin's values of `names` (all when omitted): the environment's apply again. */
  async reset(names: SettingName[] = SETTING_NAMES): Promise<DosSettings> {
    await this.store.deleteSettings(names.map((n) => KEY_PREFIX + n));
    const next = { ...this.overrides };
    for (const name of names) delete next[name];
    this.apply(next);
    return this.effective;
  }

  /** Reads the overrides from the database (what the poll does). */
  async reload(): Promise<void> {
    let rows: Awaited<ReturnType<SettingsStore['listSettings']>>;
    try {
      rows = await this.store.listSettings();
    } catch (err) {
      if (!this.pollFailing) {
        this.log.warn(
          { event: 'settings.poll_failed', err },
          'cannot read the settings; keeping the ones in force',
        );
      }
      this.pollFailing = true;
      return;
    }
    this.pollFailing = false;
    const next: Record<string, unknown> = {};
    for (const row of rows) {
      if (!row.key.startsWith(KEY_PREFIX)) continue;
      const name = row.key.slice(KEY_PREFIX.length);
      if (!(SETTING_NAMES as string[]).includes(name)) continue;
      let value: unknown;
      try {
        value = JSON.parse(row.value);
      } catch {
        continue;
      }
      const field = DosSettingsSchema.shape[name as SettingName].safeParse(value);
      if (field.success) next[name] = field.data;
      else this.log.warn({ event: 'settings.invalid', setting: name }, 'ignoring a stored setting');
    }
    this.apply(next as DosSettingsPatch);
  }

  private apply(overrides: DosSettingsPatch): void {
    const next: DosSettings = { ...this.environment, ...overrides };
    const changed = SETTING_NAMES.filter(
      (name) => JSON.stringify(next[name]) !== JSON.stringify(this.effective[name]),
    );
    this.overrides = overrides;
    if (changed.length === 0) return;
    this.effective = next;
    this.log.info(
      {
        event: 'settings.applied',
        changed,
        settings: Object.fromEntries(
          changed.map((n) => [n, n === 'allowList' ? next.allowList.length : next[n]]),
        ),
      },
      'DoS settings changed',
    );
    for (const listener of this.listeners) listener(next, changed);
  }
}
