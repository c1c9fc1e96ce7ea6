import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingRow } from '../store/store.js';
import { ENDPOINT_KEY_SETTING, endpointKeyFile, loadEndpointKey } from './endpoint-key.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The settings table of a database, in memory. */
function settingsTable() {
  const rows = new Map<string, string>();
  return {
    rows,
    async listSettings(): Promise<SettingRow[]> {
      return [...rows].map(([key, value]) => ({ key, value, updatedAt: '' }));
    },
    async addSettingIfAbsent(key: string, value: string) {
      if (!rows.has(key)) rows.set(key, value);
    },
  };
}

describe('loadEndpointKey', () => {
  it('takes ENDPOINT_KEY when it is set, and keeps nothing anywhere', async () => {
    const key = randomBytes(32);
    const table = settingsTable();
    const loaded = await loadEndpointKey(
      {
        endpointKey: key.toString('base64url'),
        database: { kind: 'postgres', url: 'postgres://x' },
      },
      table,
    );
    expect(loaded).toEqual({ key, source: 'environment' });
    expect(table.rows.size).toBe(0);
  });

  it('with SQLite keeps it in a file beside the database, readable by its owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-key-'));
    dirs.push(dir);
    const database = { kind: 'sqlite' as const, path: join(dir, 'push.db') };
    const first = await loadEndpointKey({ endpointKey: null, database }, settingsTable());
    expect(first.source).toBe('file');
    const file = endpointKeyFile(database.path);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toString('base64url'));
    const again = await loadEndpointKey({ endpointKey: null, database }, settingsTable());
    expect(again.key.equals(first.key)).toBe(true);
  });

  it('with PostgreSQL and no ENDPOINT_KEY, every node gets the one the first node stored', async () => {
    const table = settingsTable();
    const database = { kind: 'postgres' as const, url: 'postgres://x' };
    const a = await loadEndpointKey({ endpointKey: null, database }, table);
    const b = await loadEndpointKey({ endpointKey: null, database }, table);
    expect(a.source).toBe('database');
    expect(b.key.equals(a.key)).toBe(true);
    expect(table.rows.has(ENDPOINT_KEY_SETTING)).toBe(true);
  });
});
