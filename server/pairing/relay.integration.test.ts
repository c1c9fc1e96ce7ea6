// The pairing relay (docs/protocol.md §6) against a real server and memcached, driven by two real
// J-PAKE parties: the relay carries a full run, and enforces write-once steps, size limits
// and channel death after a failed key confirmation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generatePairingPassword,
  isJpakeError,
  JpakeParty,
} from '../../shared/crypto/jpake/index.js';
import { CreatePairingResponse, ErrorBody } from '../../shared/protocol.js';
import { MemcachedProcess } from '../testing/memcached-process.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const createChannel = async () => {
  const res = await fetch(`${server.url}/v1/pairings`, { method: 'POST' });
  expect(res.status).toBe(201);
  return CreatePairingResponse.parse(await res.json());
};
const put = (channel: string, step: string, body: unknown) =>
  fetch(`${server.url}/v1/pairings/${channel}/${step}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (channel: string, step: string) =>
  fetch(`${server.url}/v1/pairings/${channel}/${step}`);
async function relay(channel: string, step: string, message: unknown): Promise<unknown> {
  expect((await put(channel, step, message)).status).toBe(204);
  const res = await get(channel, step);
  expect(res.status).toBe(200);
  return res.json();
}

describe('/v1/pairings', () => {
  it('creates a 4-character channel that expires in five minutes', async () => {
    const before = Date.now();
    const { channel, expiresAt } = await createChannel();
    expect(channel).toMatch(/^[a-km-np-z2-9]{4}$/);
    const ms = Date.parse(expiresAt) - before;
    expect(ms).toBeGreaterThan(295_000);
    expect(ms).toBeLessThanOrEqual(301_000);
  });

  it('carries a whole J-PAKE run; both sides end with the same key and the payload opens', async () => {
    const { channel } = await createChannel();
    const password = generatePairingPassword();
    const a = new JpakeParty({ role: 'a', channel, password });
    const b = new JpakeParty({ role: 'b', channel, password });
    const a1 = await relay(channel, 'a1', a.round1());
    const b1 = await relay(channel, 'b1', b.round1());
    const a2 = await relay(channel, 'a2', a.round2(b1));
    const b2 = await relay(channel, 'b2', b.round2(a1));
    const a3 = await relay(channel, 'a3', a.finish(b2));
    const b3 = await relay(channel, 'b3', b.finish(a2));
    a.confirm(b3);
    b.confirm(a3);
    const sealed = await relay(channel, 'payload', {
      sealed: b.sealPayload(new TextEncoder().encode('{"secret":1}')),
    });
    expect(new TextDecoder().decode(a.openPayload((sealed as { sealed: string }).sealed))).toBe(
      '{"secret":1}',
    );
  });

  it('writes each step once (409), and answers 404 step_not_ready for a step not written yet', async () => {
    const { channel } = await createChannel();
    const early = await get(channel, 'a1');
    expect(early.status).toBe(404);
    expect(ErrorBody.parse(await early.json()).error).toBe('step_not_ready');
    expect((await put(channel, 'a1', { x: 1 })).status).toBe(204);
    const again = await put(channel, 'a1', { x: 2 });
    expect(again.status).toBe(409);
    expect(await (await get(channel, 'a1')).json()).toEqual({ x: 1 });
  });

  it('refuses messages over 8192 bytes (413), non-JSON (400) and bad step names (400)', async () => {
    const { channel } = await createChannel();
    expect((await put(channel, 'a1', { pad: 'x'.repeat(8200) })).status).toBe(413);
    expect((await put(channel, 'a1', '{not json')).status).toBe(400);
    expect((await put(channel, 'UPPER', { x: 1 })).status).toBe(400);
    expect((await put(channel, 'a'.repeat(17), { x: 1 })).status).toBe(400);
    expect((await put(channel, 'a1', { pad: 'x'.repeat(8000) })).status).toBe(204);
  });

  it('reads an unknown channel as a step not written yet; a write to it says the channel is gone', async () => {
    for (const channel of ['zzzz', 'ABCD', 'toolong']) {
      const res = await get(channel, 'a1');
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(await res.json()).error).toBe('step_not_ready');
    }
    const res = await put('zzzz', 'a1', { x: 1 });
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(await res.json()).error).toBe('channel_not_found');
  });

  it('gives a guesser one answer for a channel nobody opened and a live channel’s empty step', async () => {
    const { channel } = await createChannel();
    const live = await get(channel, 'b1');
    const unknown = await get(channel === 'zzzz' ? 'yyyy' : 'zzzz', 'b1');
    expect([unknown.status, unknown.headers.get('content-type')]).toEqual([
      live.status,
      live.headers.get('content-type'),
    ]);
    expect(await unknown.text()).toBe(await live.text());
  });

  it('takes only the transcript’s step names, so nothing else can be stored', async () => {
    const { channel } = await createChannel();
    for (const step of ['x1', 'junk', 'a4', 'step-1', 'payload2', 'c1']) {
      const res = await put(channel, step, { pad: 'x'.repeat(8000) });
      expect(res.status, step).toBe(400);
      expect(ErrorBody.parse(await res.json()).error).toBe('invalid_request');
      expect((await get(channel, step)).status, step).toBe(400);
    }
    for (const step of ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'payload', 'done']) {
      expect((await put(channel, step, { step })).status, step).toBe(204);
    }
  });

  it('kills the channel after a failed key confirmation is reported', async () => {
    const { channel } = await createChannel();
    const a = new JpakeParty({ role: 'a', channel, password: generatePairingPassword() });
    const b = new JpakeParty({ role: 'b', channel, password: generatePairingPassword() });
    const a1 = await relay(channel, 'a1', a.round1());
    const b1 = await relay(channel, 'b1', b.round1());
    const a2 = await relay(channel, 'a2', a.round2(b1));
    const b2 = await relay(channel, 'b2', b.round2(a1));
    await relay(channel, 'a3', a.finish(b2));
    const b3 = await relay(channel, 'b3', b.finish(a2));
    let failure: unknown;
    try {
      a.confirm(b3);
    } catch (err) {
      failure = err;
    }
    expect(isJpakeError(failure, 'key_confirmation_failed')).toBe(true);
    expect((await put(channel, 'abort', { error: 'key_confirmation_failed' })).status).toBe(204);
    const after = await get(channel, 'payload');
    expect(after.status).toBe(404);
    expect(ErrorBody.parse(await after.json()).error).toBe('channel_not_found');
    expect((await put(channel, 'payload', { sealed: 'x' })).status).toBe(404);
  });
});

describe('/v1/pairings per address', () => {
  let memcached: MemcachedProcess;
  let capped: TestServer;
  beforeAll(async () => {
    // Our own memcached: the per-address counts outlive the test by five minutes.
    memcached = await MemcachedProcess.start();
    capped = await startTestServer({
      env: { MEMCACHED: memcached.address, TRUST_PROXY_HOPS: '1', PAIRING_CHANNELS_PER_IP: '3' },
    });
  });
  afterAll(async () => {
    await capped?.close();
    await memcached?.stop();
  });

  const open = (ip: string) =>
    fetch(`${capped.url}/v1/pairings`, { method: 'POST', headers: { 'X-Forwarded-For': ip } });

  it('lets one address hold only a few live channels', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await open('203.0.113.40')).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const refused = await open('203.0.113.40');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ErrorBody.parse(await refused.json()).error).toBe('too_many_channels');
    expect((await open('203.0.113.41')).status).toBe(201);
  });
});
