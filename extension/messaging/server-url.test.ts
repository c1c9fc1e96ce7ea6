import { describe, expect, it } from 'vitest';
import { insecureServerWarning, needsHostPermission, normalizeServerUrl } from './server-url.js';

describe('normalizeServerUrl', () => {
  it('drops trailing slashes and keeps a path prefix', () => {
    expect(normalizeServerUrl(' http://localhost:8080/ ')).toEqual({
      ok: true,
      url: 'http://localhost:8080',
    });
    expect(normalizeServerUrl('https://Push.Example/base//')).toEqual({
      ok: true,
      url: 'https://push.example/base',
    });
  });

  it('explains what is wrong with a bad address', () => {
    const cases: Array<[string, RegExp]> = [
      ['push.example', /must start with http/],
      ['ftp://push.example', /must start with http/],
      ['http://user:pw@push.example', /user name or password/],
      ['https://push.example/?x=1', /"\?" or "#"/],
      ['http://', /not a valid web address/],
    ];
    for (const [input, message] of cases) {
      const result = normalizeServerUrl(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toMatch(message);
    }
  });
});

describe('needsHostPermission', () => {
  it('is false only for the loopback hosts the manifest grants', () => {
    expect(needsHostPermission('http://localhost:8080')).toBe(false);
    expect(needsHostPermission('http://127.0.0.1:9000')).toBe(false);
    expect(needsHostPermission('https://push.example')).toBe(true);
  });
});

describe('insecureServerWarning', () => {
  it('warns about plain http to another machine only', () => {
    expect(insecureServerWarning('http://push.example')).toMatch(/not encrypted/);
    expect(insecureServerWarning('https://push.example')).toBeNull();
    expect(insecureServerWarning('http://localhost:8080')).toBeNull();
    expect(insecureServerWarning('http://127.0.0.1:8080')).toBeNull();
  });
});
