import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../../shared/crypto/index.js';
import { notificationOf } from './payload.js';

const json = (value: unknown) => utf8Encode(JSON.stringify(value));

describe('notificationOf', () => {
  it('shows JSON with a title, opening its url', () => {
    expect(
      notificationOf(
        json({
          title: "You've been outbid",
          body: 'Lamp: 25 €',
          url: 'http://127.0.0.1:3000/items/lamp',
        }),
        'http://127.0.0.1:3000',
      ),
    ).toEqual({
      title: "You've been outbid",
      body: 'Lamp: 25 €',
      icon: null,
      url: 'http://127.0.0.1:3000/items/lamp',
    });
  });

  it('opens the origin when there is no url, and resolves relative urls and icons against it', () => {
    expect(notificationOf(json({ title: 'Hi' }), 'https://a.example')?.url).toBe(
      'https://a.example',
    );
    expect(
      notificationOf(json({ title: 'Hi', url: '/x?y=1', icon: 'i.png' }), 'https://a.example'),
    ).toMatchObject({
      url: 'https://a.example/x?y=1',
      icon: 'https://a.example/i.png',
    });
  });

  it('never opens a non-web url from a payload', () => {
    const n = notificationOf(
      json({ title: 'Hi', url: 'javascript:alert(1)', icon: 'data:image/png;base64,AA' }),
      'https://a.example',
    );
    expect(n).toMatchObject({ url: 'https://a.example', icon: null });
  });

  it('leaves everything else to the pages', () => {
    for (const payload of [
      null,
      new Uint8Array(0),
      utf8Encode('plain text'),
      json({ body: 'no title' }),
      json(['title']),
      json({ title: '  ' }),
      json({ title: 7 }),
    ]) {
      expect(notificationOf(payload, 'https://a.example')).toBeNull();
    }
  });

  it('shortens what would not fit anyway', () => {
    const n = notificationOf(json({ title: 'x'.repeat(500), body: 'y'.repeat(5000) }), null);
    expect(n?.title).toHaveLength(200);
    expect(n?.body).toHaveLength(1000);
    expect(n?.url).toBeNull();
  });
});
