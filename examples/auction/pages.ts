// The demo's HTML. `html` escapes every interpolated value, so bidder names are only text.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Auction, Item } from './auction.js';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

function layout(title: string, body: Html, extra: { vapidPublicKey?: string } = {}): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · Bidwell demo auctions</title>
    <link rel="stylesheet" href="/static/style.css" />
    <script src="/static/app.js" defer></script>
  </head>
  <body data-vapid-public-key="${extra.vapidPublicKey ?? ''}">
    <header><a href="/" class="brand">Bidwell</a> <span class="tag">demo auctions</span></header>
    <main>${body}</main>
    <footer>
      A demo of the Push Service add-on: tick “Notify me if I’m outbid” and close the tab —
      the notification still reaches you.
    </footer>
  </body>
</html>`;
}

function price(amount: number): string {
  return `${amount} €`;
}

export function indexPage(auction: Auction): Html {
  const rows = auction.items().map((item) => {
    const highest = auction.highest(item.id);
    return html`<li>
      <a href="/items/${item.id}">${item.name}</a>
      <span class="meta">${highest ? `highest bid ${price(highest.amount)}` : `starts at ${price(item.startingPrice)}`}</span>
    </li>`;
  });
  return layout('Items', html`<h1>Items up for auction</h1><ul class="items">${rows}</ul>`);
}

export function itemPage(auction: Auction, item: Item, vapidPublicKey: string): Html {
  const highest = auction.highest(item.id);
  return layout(
    item.name,
    html`<article data-item="${item.id}">
      <h1>${item.name}</h1>
      <p>${item.description}</p>
      <p id="highest" aria-live="polite">
        ${highest ? `Highest bid: ${price(highest.amount)} by ${highest.bidder}` : `No bids yet. Starting price: ${price(item.startingPrice)}`}
      </p>
      <form id="bid-form">
        <label for="bidder">Your name</label>
        <input id="bidder" name="bidder" required maxlength="40" autocomplete="nickname" />
        <label for="amount">Your bid (€)</label>
        <input id="amount" name="amount" type="number" required min="${auction.minimumBid(item.id)}" step="1" value="${auction.minimumBid(item.id)}" />
        <label class="inline" for="notify"><input id="notify" name="notify" type="checkbox" /> Notify me if I’m outbid</label>
        <button type="submit">Place bid</button>
      </form>
      <p id="status" role="status"></p>
      <section aria-labelledby="live-title">
        <h2 id="live-title">Live updates on this page</h2>
        <ul id="live"></ul>
      </section>
    </article>`,
    { vapidPublicKey },
  );
}

export function notFoundPage(): Html {
  return layout('Not found', html`<h1>No such item</h1><p><a href="/">All items</a></p>`);
}
