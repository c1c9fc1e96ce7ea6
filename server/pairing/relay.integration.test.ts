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

  it('answers 404 channel_not_found for unknown channels', async () => {
    for (const channel of ['zzzz', 'ABCD', 'toolong']) {
      const res = await get(channel, 'a1');
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(await res.json()).error).toBe('channel_not_found');
    }
    expect((await put('zzzz', 'a1', { x: 1 })).status).toBe(404);
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
