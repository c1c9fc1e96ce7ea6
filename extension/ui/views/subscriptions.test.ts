import { describe, expect, it } from 'vitest';
import { blockLabel, siteList, unsubscribedText, unsubscribeQuestion } from './subscriptions.js';

describe('the unsubscribe texts', () => {
  it('list sites by the names people recognise', () => {
    expect(siteList([])).toBe('');
    expect(siteList(['https://a.example'])).toBe('a.example');
    expect(siteList(['https://a.example', 'http://localhost:3000'])).toBe(
      'a.example and http://localhost:3000',
    );
    expect(siteList(['https://a.example', 'https://b.example', 'https://c.example'])).toBe(
      'a.example, b.example and c.example',
    );
  });

  it('ask before unsubscribing, saying what follows', () => {
    expect(unsubscribeQuestion(1)).toMatch(/^Unsubscribe from this site\? It will have to ask/);
    expect(unsubscribeQuestion(3)).toMatch(/^Unsubscribe from these 3 sites\? They will/);
  });

  it('say what was ended, known sites and unknown ones', () => {
    expect(unsubscribedText(1, ['https://a.example'])).toBe(
      'Unsubscribed from a.example. It has to ask again before it can notify you.',
    );
    expect(unsubscribedText(3, ['https://a.example', 'https://b.example'])).toBe(
      'Unsubscribed from a.example, b.example and one unknown site. They have to ask again before they can notify you.',
    );
    expect(unsubscribedText(2, [])).toBe('Unsubscribed from 2 unknown sites.');
  });

  it('offer to block what was unsubscribed', () => {
    expect(blockLabel(['https://a.example'])).toBe('Block a.example');
    expect(blockLabel(['https://a.example', 'https://b.example'])).toBe('Block these 2 sites');
  });
});
