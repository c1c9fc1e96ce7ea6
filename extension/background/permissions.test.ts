import { describe, expect, it } from 'vitest';
import { PermissionStore } from './permissions.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';

function store(area = new MemoryArea()) {
  return new PermissionStore(area, new SerialQueue());
}

describe('PermissionStore', () => {
  it('has no answer for a site never asked', async () => {
    expect(await store().get('https://a.example')).toBeNull();
  });

  it('remembers allow and block per origin, not per host', async () => {
    const permissions = store();
    await permissions.set('https://a.example', 'allow');
    await permissions.set('http://a.example', 'block');
    expect(await permissions.get('https://a.example')).toBe('allow');
    expect(await permissions.get('http://a.example')).toBe('block');
    expect(await permissions.get('https://a.example:8443')).toBeNull();
  });

  it('lets the user change and forget an answer', async () => {
    const permissions = store();
    await permissions.set('https://a.example', 'allow');
    await permissions.set('https://a.example', 'block');
    expect(await permissions.list()).toEqual([{ origin: 'https://a.example', decision: 'block' }]);
    await permissions.set('https://a.example', null);
    expect(await permissions.list()).toEqual([]);
  });

  it('keeps a site listed as "ask", which asks again like no answer', async () => {
    const permissions = store();
    await permissions.set('https://a.example', 'allow');
    await permissions.set('https://a.example', 'ask');
    expect(await permissions.get('https://a.example')).toBeNull();
    expect(await permissions.list()).toEqual([{ origin: 'https://a.example', decision: 'ask' }]);
  });

  it('does not lose answers given at the same time', async () => {
    const permissions = store();
    await Promise.all(
      ['https://a.example', 'https://b.example', 'https://c.example'].map((o) =>
        permissions.set(o, 'allow'),
      ),
    );
    expect((await permissions.list()).map((s) => s.origin)).toEqual([
      'https://a.example',
      'https://b.example',
      'https://c.example',
    ]);
  });

  it('refuses what is not an origin and ignores junk in storage', async () => {
    const area = new MemoryArea();
    const permissions = store(area);
    await expect(permissions.set('https://a.example/path', 'allow')).rejects.toThrow(TypeError);
    await area.set('sitePermissions', {
      'https://ok.example': 'allow',
      'javascript:x': 'allow',
      'https://b.example': 'maybe',
      'https://c.example': 'ask',
    });
    expect(await permissions.list()).toEqual([
      { origin: 'https://c.example', decision: 'ask' },
      { origin: 'https://ok.example', decision: 'allow' },
    ]);
  });
});
