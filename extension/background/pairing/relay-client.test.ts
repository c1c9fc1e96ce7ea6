import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../api-client.js';
import { FAKE_SERVER_URL, FakeServer } from '../testing/fake-server.js';
import { PairingRelay } from './relay-client.js';

const far = () => Date.now() + 60_000;

function relayFor(fetch: FetchLike, options: { maxPollFailures?: number } = {}) {
  let polls = 0;
  const relay = new PairingRelay(FAKE_SERVER_URL, {
    fetch,
    pollIntervalMs: 1,
    onPoll: () => void polls++,
    ...options,
  });
  return { relay, polls: () => polls };
}

/** A server that answers with the given responses in turn, then repeats the last one. */
function scripted(...responses: Array<() => Response | Promise<Response>>): FetchLike {
  let i = 0;
  return async () => {
    const next = responses[Math.min(i++, responses.length - 1)]!;
    return next();
  };
}

const json = (status: number, body: unknown) => () =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('PairingRelay', () => {
  it('creates a channel, writes a step once and reads it back', async () => {
    const server = new FakeServer();
    const { relay } = relayFor(server.fetch);
    const { channel, expiresAt } = await relay.createChannel();
    expect(channel).toMatch(/^[a-km-np-z2-9]{4}$/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    await relay.put(channel, 'a1', { x: 1 });
    await expect(relay.put(channel, 'a1', { x: 2 })).rejects.toMatchObject({ code: 'step_taken' });
    expect(await relay.waitFor(channel, 'a1', { deadline: far() })).toEqual({ x: 1 });
  });

  it('polls until the step is written, calling onPoll each time', async () => {
    const server = new FakeServer();
    const { relay, polls } = relayFor(server.fetch);
    const { channel } = await relay.createChannel();
    const waiting = relay.waitFor(channel, 'b1', { deadline: far() });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await relay.put(channel, 'b1', { hello: true });
    expect(await waiting).toEqual({ hello: true });
    expect(polls()).toBeGreaterThan(1);
  });

  it('stops at once when the relay says the channel is gone', async () => {
    const server = new FakeServer();
    const { relay, polls } = relayFor(server.fetch);
    const { channel } = await relay.createChannel();
    await relay.abort(channel, { error: 'key_confirmation_failed' });
    await expect(relay.waitFor(channel, 'b1', { deadline: far() })).rejects.toMatchObject({
      code: 'channel_closed',
    });
    expect(polls()).toBe(1);
    await expect(relay.put(channel, 'b1', {})).rejects.toMatchObject({ code: 'channel_closed' });
    await expect(relay.put('zzzz', 'b1', {})).rejects.toMatchObject({ code: 'channel_closed' });
  });

  it('keeps polling on a plain 404 (a relay that does not tell the two apart) until the deadline', async () => {
    const { relay } = relayFor(scripted(() => new Response(null, { status: 404 })));
    await expect(relay.waitFor('abcd', 'b1', { deadline: Date.now() + 30 })).rejects.toMatchObject({
      code: 'expired',
    });
  });

  it('gives up as unreachable after several failed polls in a row, not after one', async () => {
    const down = () => Promise.reject(new TypeError('Failed to fetch'));
    const once = relayFor(scripted(down, json(200, { late: true })));
    expect(await once.relay.waitFor('abcd', 'b1', { deadline: far() })).toEqual({ late: true });
    const always = relayFor(scripted(down), { maxPollFailures: 3 });
    await expect(always.relay.waitFor('abcd', 'b1', { deadline: far() })).rejects.toMatchObject({
      code: 'unreachable',
    });
    expect(always.polls()).toBe(3);
    await expect(always.relay.createChannel()).rejects.toMatchObject({ code: 'unreachable' });
  });

  it('stops when cancelled, also in the middle of a wait', async () => {
    const server = new FakeServer();
    const { relay } = relayFor(server.fetch);
    const { channel } = await relay.createChannel();
    const controller = new AbortController();
    const waiting = relay.waitFor(channel, 'b1', { deadline: far(), signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('reports rate limits, server errors and answers that are not a relay', async () => {
    await expect(
      relayFor(
        scripted(json(429, { error: 'rate_limited', message: 'slow down' })),
      ).relay.createChannel(),
    ).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(
      relayFor(scripted(json(503, { error: 'unavailable', message: 'x' }))).relay.put(
        'abcd',
        'a1',
        {},
      ),
    ).rejects.toMatchObject({ code: 'server_error' });
    await expect(
      relayFor(scripted(json(201, { channel: 'NOPE', expiresAt: 'x' }))).relay.createChannel(),
    ).rejects.toMatchObject({ code: 'server_error' });
    await expect(
      relayFor(scripted(() => new Response('<html>', { status: 200 }))).relay.waitFor(
        'abcd',
        'a1',
        {
          deadline: far(),
        },
      ),
    ).rejects.toMatchObject({ code: 'server_error' });
  });

  it('writes abort without throwing, even when the channel is gone or the server is down', async () => {
    const server = new FakeServer();
    const { relay } = relayFor(server.fetch);
    await expect(relay.abort('zzzz', { error: 'cancelled' })).resolves.toBeUndefined();
    server.down = true;
    await expect(relay.abort('zzzz', { error: 'cancelled' })).resolves.toBeUndefined();
  });
});
