import { describe, expect, it } from 'vitest';
import { isWebOrigin, webOriginOf } from './origin.js';

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
