import { describe, expect, it } from 'vitest';
import { defaultDeviceName, enabledHint, relativeTime, siteName, timeLeft } from './format.js';

describe('relativeTime', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  it('says how long ago in words for the last day', () => {
    expect(relativeTime('2025-06-01T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2025-06-01T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2025-06-01T09:00:00Z', now)).toBe('3 h ago');
  });
  it('falls back to the date, and to nothing for junk', () => {
    expect(relativeTime('2025-05-01T12:00:00Z', now)).toMatch(/2025/);
    expect(relativeTime('yesterday', now)).toBe('');
  });
});

describe('defaultDeviceName', () => {
  it('names browser and system', () => {
    expect(
      defaultDeviceName('Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'),
    ).toBe('Firefox on Linux');
    expect(
      defaultDeviceName(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36',
      ),
    ).toBe('Chromium on Windows');
    expect(defaultDeviceName('curl/8')).toBe('Browser');
  });
});

describe('siteName', () => {
  it('shows the host for https and the whole origin otherwise', () => {
    expect(siteName('https://shop.example')).toBe('shop.example');
    expect(siteName('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
  });
});

describe('timeLeft', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  it('counts minutes and seconds down to 0:00', () => {
    expect(timeLeft('2025-06-01T12:05:00Z', now)).toBe('5:00');
    expect(timeLeft('2025-06-01T12:00:09.500Z', now)).toBe('0:10');
    expect(timeLeft('2025-06-01T11:59:00Z', now)).toBe('0:00');
    expect(timeLeft('junk', now)).toBe('0:00');
  });
});

describe('enabledHint', () => {
  const account = {
    username: 'a',
    serverUrl: 'http://localhost:8080',
    deviceName: 'Laptop',
    clientId: 'c1',
    recoveryKeyConfirmed: true,
  };
  it('says "off until you turn it on" only while off', () => {
    expect(enabledHint({ enabled: false, account: null })).toMatch(/^Off until you turn it on/);
    expect(enabledHint({ enabled: false, account })).toMatch(/^Off/);
  });
  it('says what is left to do once on', () => {
    expect(enabledHint({ enabled: true, account: null })).toMatch(/^On\. Create an account/);
    expect(enabledHint({ enabled: true, account: { ...account, clientId: null } })).toMatch(
      /Create an account/,
    );
    expect(enabledHint({ enabled: true, account })).toMatch(/^On: websites can ask/);
  });
});
