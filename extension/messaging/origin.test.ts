import { describe, expect, it } from 'vitest';
import { isPotentiallyTrustworthy, isWebOrigin, webOriginOf } from './origin.js';

describe('webOriginOf', () => {
  it('keeps scheme, host and non-default port only', () => {
    expect(webOriginOf('https://shop.example:8443/items/1?x=1#top')).toBe(
      'https://shop.example:8443',
    );
    expect(webOriginOf('http://127.0.0.1:80/')).toBe('http://127.0.0.1');
  });

  it('refuses what is not a web page', () => {
    for (const url of [
      'about:blank',
      'file:///etc/passwd',
      'data:text/html,x',
      'moz-extension://u/p.html',
      'not a url',
      '',
      undefined,
      null,
    ]) {
      expect(webOriginOf(url)).toBeNull();
    }
  });
});

describe('isWebOrigin', () => {
  it('accepts exact origins only', () => {
    expect(isWebOrigin('http://localhost:3000')).toBe(true);
    expect(isWebOrigin('http://localhost:3000/')).toBe(false);
    expect(isWebOrigin('HTTP://LOCALHOST:3000')).toBe(false);
    expect(isWebOrigin('null')).toBe(false);
    expect(isWebOrigin(42)).toBe(false);
  });
});

describe('isPotentiallyTrustworthy', () => {
  it('accepts https and http on loopback hosts', () => {
    for (const origin of [
      'https://shop.example',
      'https://shop.example:8443',
      'http://localhost',
      'http://localhost:3000',
      'http://app.localhost:3000',
      'http://127.0.0.1:8080',
      'http://127.12.0.3',
      'http://[::1]:8080',
    ]) {
      expect(isPotentiallyTrustworthy(origin), origin).toBe(true);
    }
  });

  it('refuses plain http elsewhere, and what is not an origin', () => {
    for (const origin of [
      'http://shop.example',
      'http://insecure.test:8080',
      'http://192.168.1.10',
      'http://localhost.example',
      'http://127.0.0.1.example',
      'http://0.0.0.0',
      'ws://localhost',
      'file:///tmp',
      'null',
      '',
    ]) {
      expect(isPotentiallyTrustworthy(origin), origin).toBe(false);
    }
  });
});
