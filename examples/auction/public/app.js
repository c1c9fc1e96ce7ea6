// The auction page's script: place a bid, and when "Notify me if I'm outbid" is ticked,
// subscribe with navigator.push (the Push Service add-on) and hand the subscription to the
// site along with the bid. Plain JavaScript, served as is.
(() => {
  const article = document.querySelector('article[data-item]');
  if (!article) return;
  const itemId = article.dataset.item;
  const vapidPublicKey = document.body.dataset.vapidPublicKey;
  const form = document.getElementById('bid-form');
  const status = document.getElementById('status');
  const highest = document.getElementById('highest');
  const live = document.getElementById('live');
  const bidderInput = document.getElementById('bidder');
  const amountInput = document.getElementById('amount');
  const notifyInput = document.getElementById('notify');

  bidderInput.value = localStorage.getItem('bidder') ?? '';

  function say(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  // Messages that arrive while this page is open (the add-on also shows them as notifications).
  if (navigator.push) {
    navigator.push.addEventListener('push', (event) => {
      let text = '(empty message)';
      try {
        const data = event.data?.json();
        text = data?.body ? `${data.title}: ${data.body}` : String(data?.title ?? text);
      } catch {
        text = event.data?.text() ?? text;
      }
      const li = document.createElement('li');
      li.textContent = text;
      live.prepend(li);
    });
  }

  /** Returns the subscription JSON, or null with the reason told to the user. */
  async function subscribe() {
    if (!navigator.push) {
      say(
        'Install the Push Service add-on to be notified. Your bid is placed without notifications.',
        'no-push',
      );
      return null;
    }
    try {
      const subscription = await navigator.push.subscribe({ applicationServerKey: vapidPublicKey });
      return subscription.toJSON();
    } catch (err) {
      document.body.dataset.pushError = err.name;
      if (err.name === 'NotAllowedError') {
        say(
          'Notifications are not allowed for this site. Your bid is placed without them.',
          'blocked',
        );
      } else {
        say(
          `Notifications could not be set up (${err.message}). Your bid is placed without them.`,
          'push-failed',
        );
      }
      return null;
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const bidder = bidderInput.value.trim();
    localStorage.setItem('bidder', bidder);
    say('Placing your bid…', 'working');
    const subscription = notifyInput.checked ? await subscribe() : null;
    const refused = status.dataset.state !== 'working';
    const response = await fetch(`/api/items/${encodeURIComponent(itemId)}/bids`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ bidder, amount: Number(amountInput.value), subscription }),
    });
    const result = await response.json();
    if (!response.ok) {
      say(result.message, 'error');
      return;
    }
    highest.textContent = `Highest bid: ${result.highest.amount} € by ${result.highest.bidder}`;
    amountInput.min = String(result.minimum);
    amountInput.value = String(result.minimum);
    if (refused) return;
    say(
      subscription
        ? "Bid placed. We'll notify you if you're outbid — you can close this tab."
        : 'Bid placed.',
      subscription ? 'subscribed' : 'placed',
    );
  });
})();
