// The auction itself: items, bids and who wants to hear about being outbid. In memory, because
// this is a demo; nothing here knows about push.
import type { PushSubscriptionJSON } from '../../shared/protocol.js';

export interface Item {
  id: string;
  name: string;
  description: string;
  startingPrice: number;
}

export interface Bid {
  bidder: string;
  amount: number;
  at: string;
}

export type BidResult =
  | { ok: true; highest: Bid; outbid: string | null }
  | { ok: false; reason: 'unknown_item' | 'invalid' | 'too_low'; message: string };

export const DEFAULT_ITEMS: Item[] = [
  {
    id: 'lamp',
    name: 'Brass reading lamp',
    description: 'A 1950s desk lamp with a green glass shade. Works, rewired.',
    startingPrice: 20,
  },
  {
    id: 'bike',
    name: 'Steel touring bicycle',
    description: 'Lugged frame, 56 cm, new tyres. Ready for a long summer.',
    startingPrice: 120,
  },
  {
    id: 'globe',
    name: 'Illuminated globe',
    description: 'Political map from 1972, lights up from inside. Slightly faded.',
    startingPrice: 35,
  },
];

const BIDDER_PATTERN = /^[\p{L}\p{N} ._-]{1,40}$/u;

export class Auction {
  readonly #items = new Map<string, Item>();
  readonly #bids = new Map<string, Bid[]>();
  /** itemId → bidder → the subscription to notify when that bidder is outbid. */
  readonly #watchers = new Map<string, Map<string, PushSubscriptionJSON>>();

  constructor(
    items: Item[] = DEFAULT_ITEMS,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const item of items) this.#items.set(item.id, item);
  }

  items(): Item[] {
    return [...this.#items.values()];
  }

  item(id: string): Item | null {
    return this.#items.get(id) ?? null;
  }

  highest(itemId: string): Bid | null {
    return this.#bids.get(itemId)?.at(-1) ?? null;
  }

  /** The lowest amount a new bid must reach. */
  minimumBid(itemId: string): number {
    const item = this.item(itemId);
    const highest = this.highest(itemId);
    if (highest) return highest.amount + 1;
    return item ? item.startingPrice : 0;
  }

  placeBid(itemId: string, bidder: string, amount: number): BidResult {
    if (!this.item(itemId)) return { ok: false, reason: 'unknown_item', message: 'No such item.' };
    const name = bidder.trim();
    if (!BIDDER_PATTERN.test(name)) {
      return {
        ok: false,
        reason: 'invalid',
        message: 'Please give a name of up to 40 letters or digits.',
      };
    }
    if (!Number.isInteger(amount) || amount <= 0) {
      return { ok: false, reason: 'invalid', message: 'A bid is a whole number of euros.' };
    }
    const minimum = this.minimumBid(itemId);
    if (amount < minimum) {
      return { ok: false, reason: 'too_low', message: `The bid must be at least ${minimum} €.` };
    }
    const previous = this.highest(itemId);
    const bid: Bid = { bidder: name, amount, at: this.now().toISOString() };
    this.#bids.set(itemId, [...(this.#bids.get(itemId) ?? []), bid]);
    const outbid = previous && previous.bidder !== name ? previous.bidder : null;
    return { ok: true, highest: bid, outbid };
  }

  watch(itemId: string, bidder: string, subscription: PushSubscriptionJSON): void {
    const watchers = this.#watchers.get(itemId) ?? new Map<string, PushSubscriptionJSON>();
    watchers.set(bidder.trim(), subscription);
    this.#watchers.set(itemId, watchers);
  }

  watcher(itemId: string, bidder: string): PushSubscriptionJSON | null {
    return this.#watchers.get(itemId)?.get(bidder) ?? null;
  }

  /** A push service said the subscription is gone (404/410): stop sending to it. */
  forget(itemId: string, bidder: string): void {
    this.#watchers.get(itemId)?.delete(bidder);
  }
}
