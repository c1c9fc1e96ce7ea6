import { describe, expect, it } from 'vitest';
import { Auction } from './auction.js';

const subscription = {
  endpoint: 'http://127.0.0.1:1/push/x',
  expirationTime: null,
  keys: { p256dh: 'p', auth: 'a' },
};

describe('Auction', () => {
  it('accepts bids from the starting price on and names who was outbid', () => {
    const auction = new Auction();
    expect(auction.placeBid('lamp', 'alice', 19)).toMatchObject({ ok: false, reason: 'too_low' });
    expect(auction.placeBid('lamp', 'alice', 20)).toMatchObject({ ok: true, outbid: null });
    expect(auction.placeBid('lamp', 'bob', 20)).toMatchObject({
      ok: false,
      reason: 'too_low',
      message: expect.stringContaining('21'),
    });
    expect(auction.placeBid('lamp', 'bob', 25)).toMatchObject({
      ok: true,
      outbid: 'alice',
      highest: { bidder: 'bob', amount: 25 },
    });
  });

  it('does not call raising your own bid being outbid', () => {
    const auction = new Auction();
    auction.placeBid('lamp', 'alice', 20);
    expect(auction.placeBid('lamp', 'alice', 30)).toMatchObject({ ok: true, outbid: null });
  });

  it('refuses unknown items, odd names and odd amounts', () => {
    const auction = new Auction();
    expect(auction.placeBid('car', 'alice', 50)).toMatchObject({
      ok: false,
      reason: 'unknown_item',
    });
    expect(auction.placeBid('lamp', '<script>', 50)).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(auction.placeBid('lamp', 'alice', 20.5)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('remembers one subscription per bidder and item, until told to forget it', () => {
    const auction = new Auction();
    auction.watch('lamp', 'alice', subscription);
    expect(auction.watcher('lamp', 'alice')).toEqual(subscription);
    expect(auction.watcher('bike', 'alice')).toBeNull();
    auction.forget('lamp', 'alice');
    expect(auction.watcher('lamp', 'alice')).toBeNull();
  });
});
