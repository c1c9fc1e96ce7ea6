import { describe, expect, it, vi } from 'vitest';
import { MemoryArea } from '../storage-area.js';
import { CurrentPairing } from './current-pairing.js';
import { RelayError } from './relay-client.js';

/** A run the test finishes by hand. */
function controllable() {
  let finish!: (result: { deviceName: string; username?: string }) => void;
  let fail!: (err: unknown) => void;
  let progress!: (update: { status: 'waiting'; code?: string; expiresAt?: string }) => void;
  let signal!: AbortSignal;
  const run = (s: AbortSignal, p: typeof progress) => {
    signal = s;
    progress = p;
    return new Promise<{ deviceName: string; username?: string }>((resolve, reject) => {
      finish = resolve;
      fail = reject;
      s.addEventListener('abort', () => reject(new RelayError('cancelled', 'cancelled')));
    });
  };
  return {
    run,
    finish: (r: { deviceName: string; username?: string }) => finish(r),
    fail: (e: unknown) => fail(e),
    progress: (u: { status: 'waiting'; code?: string; expiresAt?: string }) => progress(u),
    signal: () => signal,
  };
}

describe('CurrentPairing', () => {
  it('shows the progress of the run and how it ended', async () => {
    const manager = new CurrentPairing(new MemoryArea());
    expect(await manager.view()).toMatchObject({ status: 'idle', role: null });
    const run = controllable();
    expect(manager.start('new-device', run.run)).toMatchObject({
      role: 'new-device',
      status: 'starting',
    });
    run.progress({ status: 'waiting', code: 'abcd-efgh-ijkm', expiresAt: '2030-01-01T00:00:00Z' });
    expect(await manager.view()).toMatchObject({ status: 'waiting', code: 'abcd-efgh-ijkm' });
    run.finish({ deviceName: 'Phone', username: 'alice' });
    await manager.settled();
    expect(await manager.view()).toMatchObject({
      status: 'done',
      code: null,
      deviceName: 'Phone',
      username: 'alice',
      error: null,
    });
  });

  it('keeps the code out of storage: it is a one-time password', async () => {
    const area = new MemoryArea();
    const manager = new CurrentPairing(area);
    const run = controllable();
    manager.start('new-device', run.run);
    run.progress({ status: 'waiting', code: 'abcd-efgh-ijkm', expiresAt: '2030-01-01T00:00:00Z' });
    await vi.waitFor(async () =>
      expect(await area.get('pairing')).toMatchObject({ status: 'waiting', code: null }),
    );
    expect(JSON.stringify(await area.get('pairing'))).not.toContain('abcd');
  });

  it('says "interrupted" after a restart in the middle of a pairing', async () => {
    const area = new MemoryArea();
    const before = new CurrentPairing(area);
    const run = controllable();
    before.start('add-device', run.run);
    run.progress({ status: 'waiting' });
    await vi.waitFor(async () =>
      expect(await area.get('pairing')).toMatchObject({ status: 'waiting' }),
    );
    // A new background (the service worker was stopped): same session storage, no run.
    const after = new CurrentPairing(area);
    const view = await after.view();
    expect(view).toMatchObject({
      role: 'add-device',
      status: 'failed',
      error: { code: 'interrupted', message: expect.stringContaining('start again') },
    });
    expect(await new CurrentPairing(area).view()).toMatchObject({ status: 'failed' });
  });

  it('adds what became of a half-added device to the "interrupted" of an add-device pairing only', async () => {
    const area = new MemoryArea();
    const before = new CurrentPairing(area);
    before.start('add-device', controllable().run);
    await vi.waitFor(async () =>
      expect(await area.get('pairing')).toMatchObject({ status: 'starting' }),
    );
    const after = new CurrentPairing(area);
    await after.explainInterrupted('“Phone” was removed again.');
    expect(await after.view()).toMatchObject({
      status: 'failed',
      error: {
        code: 'interrupted',
        message:
          'Pairing was interrupted (the add-on was restarted). “Phone” was removed again. Please start again.',
      },
    });
    // A pairing started since (here a new device's) is left as it is.
    const run = controllable();
    after.start('new-device', run.run);
    await after.explainInterrupted('“Phone” was removed again.');
    expect(await after.view()).toMatchObject({ role: 'new-device', status: 'starting' });
    // And so is one that had ended before the restart.
    run.fail(new Error('a bug'));
    await after.settled();
    await new CurrentPairing(area).explainInterrupted('“Phone” was removed again.');
    expect((await new CurrentPairing(area).view()).error?.code).toBe('internal');
  });

  it('keeps how a finished pairing ended across a restart', async () => {
    const area = new MemoryArea();
    const before = new CurrentPairing(area);
    const run = controllable();
    before.start('add-device', run.run);
    run.finish({ deviceName: 'Phone' });
    await before.settled();
    expect(await new CurrentPairing(area).view()).toMatchObject({
      status: 'done',
      deviceName: 'Phone',
    });
  });

  it('cancels at once, signals the run, and ignores what the run says afterwards', async () => {
    const manager = new CurrentPairing(new MemoryArea());
    const run = controllable();
    manager.start('new-device', run.run);
    run.progress({ status: 'waiting', code: 'abcd-efgh-ijkm' });
    expect(manager.cancel()).toMatchObject({ status: 'cancelled', code: null });
    expect(run.signal().aborted).toBe(true);
    await manager.settled();
    expect(await manager.view()).toMatchObject({ status: 'cancelled', error: null });
  });

  it('reports a failure in plain words', async () => {
    const manager = new CurrentPairing(new MemoryArea());
    const run = controllable();
    manager.start('new-device', run.run);
    run.fail(new Error('a bug'));
    await manager.settled();
    expect(await manager.view()).toMatchObject({
      status: 'failed',
      error: { code: 'internal', message: expect.stringContaining('Something went wrong') },
    });
  });

  it('a new start supersedes the running pairing', async () => {
    const manager = new CurrentPairing(new MemoryArea());
    const first = controllable();
    manager.start('new-device', first.run);
    const second = controllable();
    manager.start('new-device', second.run);
    expect(first.signal().aborted).toBe(true);
    second.progress({ status: 'waiting', code: 'bbbb-cccc-dddd' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await manager.view()).toMatchObject({ status: 'waiting', code: 'bbbb-cccc-dddd' });
  });
});
