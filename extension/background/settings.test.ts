import { describe, expect, it } from 'vitest';
import { SettingsStore } from './settings.js';
import { MemoryArea } from './storage-area.js';

describe('SettingsStore', () => {
  it('is off by default and points at the local server', async () => {
    const settings = new SettingsStore(new MemoryArea());
    expect(await settings.get()).toEqual({
      enabled: false,
      serverUrl: 'http://localhost:8080',
      notice: null,
    });
  });

  it('keeps what was changed and ignores junk in storage', async () => {
    const area = new MemoryArea();
    const settings = new SettingsStore(area);
    await settings.update({ enabled: true });
    expect((await settings.get()).enabled).toBe(true);
    await area.set('settings', { enabled: 'yes', serverUrl: 7 });
    expect(await settings.get()).toEqual({
      enabled: false,
      serverUrl: 'http://localhost:8080',
      notice: null,
    });
  });

  it('does not lose one of two changes made at the same time', async () => {
    const settings = new SettingsStore(new MemoryArea());
    await Promise.all([settings.update({ enabled: true }), settings.update({ notice: 'hello' })]);
    expect(await settings.get()).toMatchObject({ enabled: true, notice: 'hello' });
  });
});
