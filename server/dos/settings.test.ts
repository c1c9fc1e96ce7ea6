import { describe, expect, it } from 'vitest';
import { captureLogs, DEFAULT_TEST_SETTINGS, FakeSettingsStore } from '../testing/dos-fakes.js';
import { DosSettingsPatch, LiveSettings } from './settings.js';

describe('LiveSettings', () => {
  it('starts from the environment and applies an update at once, saving it for other nodes', async () => {
    const store = new FakeSettingsStore();
    const { log, events } = captureLogs();
    const settings = new LiveSettings(DEFAULT_TEST_SETTINGS, store, log);
    const seen: string[][] = [];
    settings.onChange((_next, changed) => seen.push(changed));
    expect(settings.current.maxRequests).toBe(5);
    await settings.update({ maxRequests: 50, observeOnly: true });
    expect(settings.current).toMatchObject({ maxRequests: 50, observeOnly: true });
    expect(store.rows.get('dos.maxRequests')?.value).toBe('50');
    expect(seen).toEqual([['maxRequests', 'observeOnly']]);
    expect(events.find((e) => e.event === 'settings.applied')).toMatchObject({
      changed: ['maxRequests', 'observeOnly'],
    });
  });

  it('another node picks the change up on its next poll; a reset goes back to the environment', async () => {
    const store = new FakeSettingsStore();
    const here = new LiveSettings(DEFAULT_TEST_SETTINGS, store, captureLogs().log);
    const there = new LiveSettings(
      { ...DEFAULT_TEST_SETTINGS, maxRequests: 7 },
      store,
      captureLogs().log,
    );
    await here.update({ maxBadRequests: 9, allowList: ['192.0.2.0/24'] });
    expect(there.current.maxBadRequests).toBe(3);
    await there.reload();
    expect(there.current).toMatchObject({ maxBadRequests: 9, allowList: ['192.0.2.0/24'] });
    expect(there.view().overrides).toEqual({ maxBadRequests: 9, allowList: ['192.0.2.0/24'] });
    expect(there.view().sources).toMatchObject({
      maxBadRequests: 'admin',
      allowList: 'admin',
      maxRequests: 'environment',
    });
    await here.reset(['maxBadRequests']);
    await there.reload();
    expect(there.current.maxBadRequests).toBe(3);
    expect(there.current.maxRequests).toBe(7); // its own environment
  });

  it('ignores stored values that are not valid, and keeps its settings when the database fails', async () => {
    const store = new FakeSettingsStore();
    const { log, events } = captureLogs();
    await store.putSettings({
      'dos.maxRequests': '-4',
      'dos.windowSeconds': 'not json',
      'dos.unknown': '1',
      'dos.lruSize': '500',
    });
    const settings = new LiveSettings(DEFAULT_TEST_SETTINGS, store, log);
    await settings.reload();
    expect(settings.current).toMatchObject({ maxRequests: 5, windowSeconds: 60, lruSize: 500 });
    store.failing = true;
    await settings.reload();
    await settings.reload();
    expect(settings.current.lruSize).toBe(500);
    expect(events.filter((e) => e.event === 'settings.poll_failed')).toHaveLength(1);
  });

  it('validates patches: bounds, types, unknown fields and bad CIDRs are refused', () => {
    expect(DosSettingsPatch.safeParse({ maxRequests: 0 }).success).toBe(false);
    expect(DosSettingsPatch.safeParse({ maxRequests: 1.5 }).success).toBe(false);
    expect(DosSettingsPatch.safeParse({ trustProxyHops: 11 }).success).toBe(false);
    expect(DosSettingsPatch.safeParse({ observeOnly: 'yes' }).success).toBe(false);
    expect(DosSettingsPatch.safeParse({ surprise: 1 }).success).toBe(false);
    expect(DosSettingsPatch.safeParse({ allowList: ['192.0.2.0/33'] }).success).toBe(false);
    expect(DosSettingsPatch.safeParse({ allowList: ['2001:db8::/32'], lruSize: 10 }).success).toBe(
      true,
    );
  });
});
