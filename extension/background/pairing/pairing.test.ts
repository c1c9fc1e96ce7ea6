// Both pairing flows against each other through the fake server's relay, with real J-PAKE:
// what the user sees on each device, what ends up in storage, and what the server keeps.
import { describe, expect, it, vi } from 'vitest';
import { flipByte } from '../../../shared/crypto/jpake/test-helpers.js';
import { AccountService } from '../account.js';
import { AccountStore } from '../account-store.js';
import { type FetchLike, ServerApi } from '../api-client.js';
import { SettingsStore } from '../settings.js';
import { MemoryArea } from '../storage-area.js';
import { FAKE_SERVER_URL, FakeServer } from '../testing/fake-server.js';
import { CurrentPairing } from './current-pairing.js';
import { LeftoverClients } from './leftover-clients.js';
import { PairingRequests } from './pairing-requests.js';
import { PairingRelay } from './relay-client.js';

/** What a browser keeps across a restart of its background: storage.local and storage.session. */
interface BrowserStorage {
  area: MemoryArea;
  session: MemoryArea;
}

/**
 * One browser with the add-on: its own storage, sharing the fake server with the others.
 * Given the storage of an earlier one, it is that browser after its background restarted.
 */
async function device(
  server: FakeServer,
  fetchImpl: FetchLike = server.fetch,
  options: { doneTimeoutMs?: number } = {},
  storage: BrowserStorage = { area: new MemoryArea(), session: new MemoryArea() },
) {
  const { area, session } = storage;
  const accounts = new AccountStore(area);
  const settings = new SettingsStore(area);
  await settings.update({ serverUrl: FAKE_SERVER_URL, enabled: true });
  const api = (url: string) => new ServerApi(url, fetchImpl);
  // Polls every few milliseconds instead of every second: same protocol, faster tests.
  const relay = (url: string) => new PairingRelay(url, { fetch: fetchImpl, pollIntervalMs: 3 });
  const manager = new CurrentPairing(session);
  const leftovers = new LeftoverClients(session);
  const counts = { syncs: 0, unauthorized: 0 };
  const pairing = new PairingRequests({
    manager,
    newDevice: {
      relay,
      api,
      settings,
      accounts,
      hasHostPermission: async () => true,
      onSignedIn: async () => void counts.syncs++,
    },
    signedInDevice: {
      relay,
      api,
      accounts,
      leftovers,
      onUnauthorized: async () => void counts.unauthorized++,
      ...options,
    },
  });
  const account = new AccountService({
    accounts,
    settings,
    api,
    onSignedOut: async () => {},
  });
  return { storage, accounts, settings, manager, leftovers, pairing, account, counts };
}

type Device = Awaited<ReturnType<typeof device>>;

async function signedInLaptop(
  server: FakeServer,
  fetchImpl?: FetchLike,
  options: { doneTimeoutMs?: number } = {},
): Promise<Device> {
  const laptop = await device(server, fetchImpl, options);
  await laptop.account.signUp({
    username: 'alice',
    password: 'correct horse',
    deviceName: 'Laptop',
  });
  return laptop;
}

/** Starts pairing on the new device and returns the code it shows. */
async function codeOf(phone: Device): Promise<string> {
  phone.pairing.startNewDevice();
  return vi.waitFor(async () => {
    const view = await phone.pairing.view();
    if (view.status === 'failed') throw new Error(`failed: ${view.error?.message}`);
    expect(view.code).toMatch(/^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$/);
    return view.code!;
  });
}

/** The same code with its last password character changed. */
function wrongCode(code: string): string {
  const last = code.at(-1)!;
  return `${code.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
}

function channelOf(code: string): string {
  return code.slice(0, 4);
}

async function settle(...devices: Device[]): Promise<void> {
  await Promise.all(devices.map((d) => d.manager.settled()));
}

/** The names of the clients on the server: the laptop's plus any registered for the phone. */
function names(server: FakeServer): string[] {
  return [...server.clients.values()].map((c) => c.name).sort();
}

/** The phone's way to the server, with its write of `done` held back until `release()`. */
function holdingDone(server: FakeServer) {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let written = false;
  const fetch: FetchLike = async (input, init) => {
    if (init.method === 'PUT' && input.endsWith('/done')) {
      written = true;
      await held;
    }
    return server.fetch(input, init);
  };
  return { fetch, release, written: () => written };
}

describe('pairing a new device with a signed-in one', () => {
  it('agrees on matching codes: the new device ends signed in to the same account and key', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    const code = await codeOf(phone);
    expect(await phone.pairing.view()).toMatchObject({
      role: 'new-device',
      status: 'waiting',
      expiresAt: expect.any(String),
    });

    // Typed sloppily: upper case, spaces instead of dashes.
    const started = await laptop.pairing.startAddDevice({
      code: code.toUpperCase().replaceAll('-', ' '),
      deviceName: 'Phone',
    });
    expect(started).toMatchObject({ role: 'add-device', status: 'starting' });
    await settle(laptop, phone);

    expect(await laptop.pairing.view()).toMatchObject({
      status: 'done',
      deviceName: 'Phone',
      error: null,
    });
    expect(await phone.pairing.view()).toMatchObject({
      status: 'done',
      username: 'alice',
      deviceName: 'Phone',
      code: null,
      error: null,
    });
    const mine = await laptop.accounts.get();
    const theirs = await phone.accounts.get();
    expect(theirs).toMatchObject({
      serverUrl: FAKE_SERVER_URL,
      username: 'alice',
      secretKey: mine?.secretKey,
      deviceName: 'Phone',
      recoveryKeyConfirmed: true,
    });
    // Its own client, not the laptop's: removing one device leaves the other signed in.
    expect(theirs?.clientId).not.toBe(mine?.clientId);
    expect(theirs?.clientToken).not.toBe(mine?.clientToken);
    expect([...server.clients.values()].map((c) => c.name).sort()).toEqual(['Laptop', 'Phone']);
    expect(phone.counts.syncs).toBe(1);
    // The laptop reported success only after the phone's sealed `done`.
    expect(server.step(channelOf(code), 'done')).toMatchObject({
      sealed: expect.stringMatching(/^[A-Za-z0-9_-]{80}$/),
    });
    expect(server.step(channelOf(code), 'abort')).toBeUndefined();
    // The password never travelled: the new device only knows its own token.
    expect(
      JSON.stringify(server.pairings.get(channelOf(code))?.steps.get('payload')),
    ).not.toContain('correct horse');
  });

  it('fails on both sides with key_confirmation_failed for a wrong code, closes the channel and registers nothing', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code: wrongCode(code), deviceName: 'Phone' });
    await settle(laptop, phone);

    const laptopView = await laptop.pairing.view();
    const phoneView = await phone.pairing.view();
    expect(laptopView).toMatchObject({
      status: 'failed',
      error: {
        code: 'key_confirmation_failed',
        message: expect.stringContaining('does not match'),
      },
    });
    expect(phoneView).toMatchObject({
      status: 'failed',
      error: { code: 'key_confirmation_failed', message: expect.stringContaining('did not match') },
    });
    expect(server.step(channelOf(code), 'abort')).toMatchObject({
      error: 'key_confirmation_failed',
    });
    expect(server.step(channelOf(code), 'payload')).toBeUndefined();
    expect([...server.clients.values()].map((c) => c.name)).toEqual(['Laptop']);
    expect(await phone.accounts.get()).toBeNull();
  });

  it('says in plain words that no device waits with a code whose channel is unknown', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    await laptop.pairing.startAddDevice({ code: 'zzzz-abcd-efgh', deviceName: 'Phone' });
    await settle(laptop);
    expect(await laptop.pairing.view()).toMatchObject({
      status: 'failed',
      error: {
        code: 'channel_not_found',
        message: expect.stringContaining('No new device is waiting with this code'),
      },
    });
    expect(server.clients.size).toBe(1);
  });

  it('tells the new device when its code expired before anyone typed it', async () => {
    const server = new FakeServer();
    let skew = 0;
    server.relayNow = () => Date.now() + skew;
    const phone = await device(server);
    const code = await codeOf(phone);
    // The relay forgets the channel after five minutes.
    skew = 301_000;
    await settle(phone);
    expect(await phone.pairing.view()).toMatchObject({
      status: 'failed',
      code: null,
      error: { code: 'expired', message: expect.stringContaining('expired') },
    });
    // And the signed-in device typing it late is told so as well.
    const laptop = await signedInLaptop(server);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop);
    expect((await laptop.pairing.view()).error?.code).toBe('channel_not_found');
  });

  it('says the server cannot be reached, on either device', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    server.down = true;
    phone.pairing.startNewDevice();
    await laptop.pairing.startAddDevice({ code: 'abcd-efgh-ijkm', deviceName: 'Phone' });
    await settle(laptop, phone);
    for (const d of [laptop, phone]) {
      expect(await d.pairing.view()).toMatchObject({
        status: 'failed',
        error: { code: 'offline', message: expect.stringContaining('cannot be reached') },
      });
    }
  });

  it('rejects a message the relay altered, on both sides, and registers nothing', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    // The relay swaps the signed-in device's round-2 proof response for another valid scalar.
    server.tamper = (step, message) => {
      if (step !== 'b2') return message;
      const m = message as { A: string; zkpA: { V: string; r: string } };
      const r = m.zkpA.r;
      const flipped = `${r.slice(0, 5)}${r[5] === 'A' ? 'B' : 'A'}${r.slice(6)}`;
      return { ...m, zkpA: { ...m.zkpA, r: flipped } };
    };
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect(await phone.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'tampered', message: expect.stringContaining('changed on the way') },
    });
    expect(server.step(channelOf(code), 'abort')).toMatchObject({ error: 'invalid_proof' });
    // The laptop learns only that the channel closed before the confirmation it waited for.
    expect((await laptop.pairing.view()).status).toBe('failed');
    expect([...server.clients.values()].map((c) => c.name)).toEqual(['Laptop']);
    expect(await phone.accounts.get()).toBeNull();
  });

  it('deletes the client it registered when sending the payload fails', async () => {
    const server = new FakeServer();
    const phone = await device(server);
    let payloadWrites = 0;
    const failingPayload: FetchLike = async (input, init) => {
      if (init.method === 'PUT' && input.endsWith('/payload')) {
        payloadWrites++;
        // Once the phone has confirmed the key, so it waits for the payload, not for b3.
        await vi.waitFor(async () => {
          expect((await phone.pairing.view()).status).toBe('registering');
        });
        throw new TypeError('Failed to fetch');
      }
      return server.fetch(input, init);
    };
    const laptop = await signedInLaptop(server, failingPayload);
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop);
    expect(payloadWrites).toBe(1);
    expect(await laptop.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'offline' },
    });
    expect(server.requests).toContain('POST /v1/clients');
    expect([...server.clients.values()].map((c) => c.name)).toEqual(['Laptop']);
    expect(await laptop.leftovers.all()).toEqual([]);
    // Its abort closed the channel, so the new device stops too.
    await settle(phone);
    expect(await phone.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'peer_stopped' },
    });
  });

  it('cancels: the channel closes and the other device stops', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    const code = await codeOf(phone);
    expect(phone.pairing.cancel()).toMatchObject({ status: 'cancelled', code: null });
    await settle(phone);
    expect(server.step(channelOf(code), 'abort')).toMatchObject({ error: 'cancelled' });
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop);
    expect((await laptop.pairing.view()).error?.code).toBe('channel_not_found');
  });

  it('refuses a malformed code at once, in plain words, without asking the server', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const before = server.requests.length;
    await expect(
      laptop.pairing.startAddDevice({ code: 'abcd-efgh', deviceName: 'Phone' }),
    ).rejects.toMatchObject({
      code: 'invalid_code',
      message: expect.stringContaining('too short'),
    });
    await expect(
      laptop.pairing.startAddDevice({ code: 'abcd-efgh-ijkl', deviceName: 'Phone' }),
    ).rejects.toMatchObject({ code: 'invalid_code', message: expect.stringContaining('“l”') });
    await expect(
      laptop.pairing.startAddDevice({ code: '', deviceName: 'Phone' }),
    ).rejects.toMatchObject({ code: 'invalid_code' });
    await expect(
      laptop.pairing.startAddDevice({ code: 'abcd-efgh-ijkm', deviceName: '  ' }),
    ).rejects.toMatchObject({ code: 'invalid_device_name' });
    expect(server.requests.length).toBe(before);
  });

  it('adds a device only from a signed-in device, and pairs a new one only when signed out', async () => {
    const server = new FakeServer();
    const stranger = await device(server);
    await expect(
      stranger.pairing.startAddDevice({ code: 'abcd-efgh-ijkm', deviceName: 'Phone' }),
    ).rejects.toMatchObject({ code: 'not_signed_in' });
    const laptop = await signedInLaptop(server);
    laptop.pairing.startNewDevice();
    await settle(laptop);
    expect((await laptop.pairing.view()).error?.code).toBe('already_signed_in');
    expect(server.pairings.size).toBe(0);
  });

  it('signs the laptop out when the server refuses its own token while adding', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    const code = await codeOf(phone);
    // Removed from another device just before it registers the new one.
    const token = (await laptop.accounts.get())!.clientToken!;
    server.tamper = (step, message) => {
      if (step === 'a3') server.clients.delete(token);
      return message;
    };
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect((await laptop.pairing.view()).error?.code).toBe('unauthorized');
    expect(laptop.counts.unauthorized).toBe(1);
    expect(server.clients.size).toBe(0);
    expect(await phone.accounts.get()).toBeNull();
  });
});

describe('the done step: the signed-in device reports success only after the new device’s', () => {
  it('shows “waiting for the new device to finish” until the done arrives', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    // Holds the phone's `done` back until the laptop has shown that it waits for it.
    const done = holdingDone(server);
    const slowPhone = await device(server, done.fetch);
    const code = await codeOf(slowPhone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await vi.waitFor(async () => {
      expect((await laptop.pairing.view()).status).toBe('finishing');
    });
    expect(server.step(channelOf(code), 'payload')).toBeDefined();
    done.release();
    await settle(laptop, slowPhone);
    expect((await laptop.pairing.view()).status).toBe('done');
    expect((await slowPhone.pairing.view()).status).toBe('done');
    expect(names(server)).toEqual(['Laptop', 'Phone']);
    // Confirmed by its `done`: the phone's client is no leftover for a later start to delete.
    expect(await laptop.leftovers.all()).toEqual([]);
  });

  it('an altered payload: the new device aborts, the signed-in one deletes the client and fails', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    server.tamper = (step, message) =>
      step === 'payload'
        ? { sealed: flipByte((message as { sealed: string }).sealed, 40) }
        : message;
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect(await phone.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'tampered' },
    });
    expect(server.step(channelOf(code), 'abort')).toMatchObject({ error: 'decrypt_failed' });
    expect(server.step(channelOf(code), 'done')).toBeUndefined();
    expect(await laptop.pairing.view()).toMatchObject({
      status: 'failed',
      error: {
        code: 'peer_stopped',
        message: expect.stringContaining('could not finish signing in'),
      },
    });
    // The client registered for the phone was deleted again: only the laptop is left.
    expect(server.requests).toContain('POST /v1/clients');
    expect(names(server)).toEqual(['Laptop']);
    expect(await phone.accounts.get()).toBeNull();
  });

  it('a done the relay wrote itself: rejected, the client deleted, and the new device signs out again', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    // The phone's own `done` goes out only after the laptop has decided, so the run is the
    // same every time (otherwise the phone may find the step taken first: also a failure).
    const lateDone: FetchLike = async (input, init) => {
      if (init.method === 'PUT' && input.endsWith('/done')) {
        await vi.waitFor(async () => expect((await laptop.pairing.view()).status).toBe('failed'));
      }
      return server.fetch(input, init);
    };
    const phone = await device(server, lateDone);
    // When the phone fetches the payload, the relay writes a `done` of its own: the
    // well-formed `{sealed}` anyone without the session key can make.
    server.tamper = (step, message) => {
      const steps = server.pairings.get(channelOf(code))?.steps;
      if (step === 'payload' && steps && !steps.has('done')) {
        steps.set('done', { sealed: 'A'.repeat(80) });
      }
      return message;
    };
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect(await laptop.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'tampered', message: expect.stringContaining('changed on the way') },
    });
    expect(server.step(channelOf(code), 'abort')).toMatchObject({ error: 'decrypt_failed' });
    expect(names(server)).toEqual(['Laptop']);
    // The laptop's abort closed the channel, so the phone's `done` is refused and it undoes
    // its sign-in: it stored the account, but never started with it.
    expect(await phone.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'peer_stopped' },
    });
    expect(await phone.accounts.get()).toBeNull();
    expect(phone.counts.syncs).toBe(0);
  });

  it('a done step taken before the new device writes its own: it signs out again', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    // Someone wrote `done` while the laptop had not looked yet (it reads it only after the
    // payload): the phone must not trust a run whose last step is not its own.
    server.tamper = (step, message) => {
      const steps = server.pairings.get(channelOf(code))?.steps;
      if (step === 'payload' && steps && !steps.has('done')) steps.set('done', { ok: true });
      return message;
    };
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect((await laptop.pairing.view()).status).toBe('failed');
    expect(names(server)).toEqual(['Laptop']);
    expect((await phone.pairing.view()).status).toBe('failed');
    expect(['tampered', 'peer_stopped']).toContain((await phone.pairing.view()).error?.code);
    expect(await phone.accounts.get()).toBeNull();
  });

  it('a done the relay altered on the way (or a plain {ok:true}) is rejected and the client deleted', async () => {
    for (const forge of [
      (m: { sealed: string }) => ({ sealed: flipByte(m.sealed, 30) }),
      () => ({ ok: true }),
    ]) {
      const server = new FakeServer();
      const laptop = await signedInLaptop(server);
      const phone = await device(server);
      server.tamper = (step, message) =>
        step === 'done' ? forge(message as { sealed: string }) : message;
      const code = await codeOf(phone);
      await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
      await settle(laptop, phone);
      expect(await laptop.pairing.view()).toMatchObject({
        status: 'failed',
        error: { code: 'tampered' },
      });
      expect(server.step(channelOf(code), 'abort')).toMatchObject({
        error: expect.stringMatching(/^(decrypt_failed|invalid_message)$/),
      });
      // The phone had written a genuine `done` and cannot learn of the forgery in this run; the
      // deleted client makes the server refuse its token, which signs it out (connection.ts).
      expect(names(server)).toEqual(['Laptop']);
    }
  });

  it('no done in time: the signed-in device deletes the client, closes the channel and fails', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server, undefined, { doneTimeoutMs: 300 });
    // The phone loses the network right after it received the payload.
    let offline = false;
    const flaky: FetchLike = async (input, init) => {
      if (offline) throw new TypeError('Failed to fetch');
      const response = await server.fetch(input, init);
      if (input.endsWith('/payload') && response.status === 200) offline = true;
      return response;
    };
    const phone = await device(server, flaky);
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect(await laptop.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'not_finished', message: expect.stringContaining('did not finish') },
    });
    expect(server.step(channelOf(code), 'done')).toBeUndefined();
    expect(server.step(channelOf(code), 'abort')).toMatchObject({ error: 'expired' });
    // The laptop deleted it (the phone could not reach the server to do so itself).
    expect(server.requests.filter((r) => r.startsWith('DELETE /v1/clients/'))).toHaveLength(1);
    expect(names(server)).toEqual(['Laptop']);
    expect(await phone.pairing.view()).toMatchObject({
      status: 'failed',
      error: { code: 'offline' },
    });
    expect(await phone.accounts.get()).toBeNull();
  });
});

describe('a signed-in device whose background is stopped mid-pairing', () => {
  const phoneClientId = (server: FakeServer) =>
    [...server.clients.values()].find((c) => c.name === 'Phone')?.clientId;

  /**
   * Pairs until the laptop waits for the phone's `done` (held back on the phone), then stops
   * the laptop's background there: its requests never answer again, so its run neither goes
   * on nor reaches its clean-up, as when Chromium stops the service worker.
   */
  async function stoppedWhileFinishing() {
    const server = new FakeServer();
    let stopped = false;
    const mortal: FetchLike = (input, init) =>
      stopped ? new Promise<Response>(() => {}) : server.fetch(input, init);
    const laptop = await signedInLaptop(server, mortal);
    const done = holdingDone(server);
    const phone = await device(server, done.fetch);
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    // What the next background finds is what reached storage.session, not the memory.
    await vi.waitFor(async () => {
      expect(await laptop.storage.session.get('pairing')).toMatchObject({ status: 'finishing' });
    });
    // The phone must have checked its token and be writing `done` (held) before the laptop
    // stops; otherwise whether it finishes would depend on how the two polls interleave.
    await vi.waitFor(() => expect(done.written()).toBe(true), { timeout: 5000 });
    stopped = true;
    return { server, laptop, phone, code, releaseDone: done.release };
  }

  /** The laptop's browser with a new background: same storage, no run in memory. */
  const restarted = (server: FakeServer, laptop: Device) =>
    device(server, server.fetch, {}, laptop.storage);

  it('records the client before sending the payload, by id only, not by its token', async () => {
    const { server, laptop, releaseDone } = await stoppedWhileFinishing();
    const id = phoneClientId(server);
    expect(server.requests.indexOf('POST /v1/clients')).toBeGreaterThan(-1);
    expect(await laptop.leftovers.all()).toEqual([
      {
        serverUrl: FAKE_SERVER_URL,
        username: 'alice',
        clientId: id,
        deviceName: 'Phone',
        registeredAt: expect.any(String),
      },
    ]);
    const token = [...server.clients.entries()].find(([, c]) => c.clientId === id)?.[0];
    expect(JSON.stringify(await laptop.storage.session.get('pairingLeftovers'))).not.toContain(
      token,
    );
    releaseDone();
  });

  it('stopped while waiting for done: the next start deletes the client, forgets the record and says so', async () => {
    const { server, laptop, phone, code, releaseDone } = await stoppedWhileFinishing();
    const id = phoneClientId(server);
    expect(names(server)).toEqual(['Laptop', 'Phone']);

    const after = await restarted(server, laptop);
    await after.pairing.recover();
    expect(server.requests).toContain(`DELETE /v1/clients/${id}`);
    expect(names(server)).toEqual(['Laptop']);
    expect(await after.leftovers.all()).toEqual([]);
    // The pairing page, opened or polling, wakes the background and reads this.
    expect(await after.pairing.view()).toMatchObject({
      role: 'add-device',
      status: 'failed',
      error: {
        code: 'interrupted',
        message:
          'Pairing was interrupted (the add-on was restarted). The device it had added half-way, “Phone”, was removed again. Please start again.',
      },
    });

    // The race the laptop cannot see: the phone finished just as the laptop stopped. Its
    // `done` is accepted (the channel is still open), but the token it holds is refused, which
    // signs it out with a notice once it connects (connection.ts → AccountService.deviceRemoved).
    releaseDone();
    await settle(phone);
    expect((await phone.pairing.view()).status).toBe('done');
    expect(server.step(channelOf(code), 'done')).toBeDefined();
    const token = (await phone.accounts.get())?.clientToken ?? '';
    await expect(
      new ServerApi(FAKE_SERVER_URL, server.fetch).listClients(token),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('does not delete a device whose pairing succeeded before the restart', async () => {
    const server = new FakeServer();
    const laptop = await signedInLaptop(server);
    const phone = await device(server);
    const code = await codeOf(phone);
    await laptop.pairing.startAddDevice({ code, deviceName: 'Phone' });
    await settle(laptop, phone);
    expect((await laptop.pairing.view()).status).toBe('done');

    const after = await restarted(server, laptop);
    await after.pairing.recover();
    expect(server.requests.filter((r) => r.startsWith('DELETE '))).toEqual([]);
    expect(names(server)).toEqual(['Laptop', 'Phone']);
    expect(await after.pairing.view()).toMatchObject({ status: 'done', deviceName: 'Phone' });
  });

  it('keeps the record while the delete fails, asks the user to remove the device, and deletes it at the next start', async () => {
    const { server, laptop, releaseDone } = await stoppedWhileFinishing();
    const id = phoneClientId(server);
    server.unreachable.add(`DELETE /v1/clients/${id}`);

    const second = await restarted(server, laptop);
    expect(await second.pairing.view()).toMatchObject({
      status: 'failed',
      error: {
        code: 'interrupted',
        message: expect.stringContaining('remove “Phone” from the device list'),
      },
    });
    expect(names(server)).toEqual(['Laptop', 'Phone']);
    expect(await second.leftovers.all()).toMatchObject([{ clientId: id }]);

    server.unreachable.clear();
    const third = await restarted(server, laptop);
    expect(await third.pairing.view()).toMatchObject({
      error: { message: expect.stringContaining('“Phone”, was removed again') },
    });
    expect(names(server)).toEqual(['Laptop']);
    expect(await third.leftovers.all()).toEqual([]);
    releaseDone();
  });

  it('a new pairing waits for the clean-up, which never takes its client for a leftover', async () => {
    const { server, laptop, releaseDone } = await stoppedWhileFinishing();
    releaseDone();
    const after = await restarted(server, laptop);
    const phone = await device(server);
    const code = await codeOf(phone);
    // No recover() first: starting is itself a background event that must not race it.
    await after.pairing.startAddDevice({ code, deviceName: 'Tablet' });
    await settle(after, phone);
    expect((await after.pairing.view()).status).toBe('done');
    expect(names(server)).toEqual(['Laptop', 'Tablet']);
    expect(await after.leftovers.all()).toEqual([]);
  });
});
