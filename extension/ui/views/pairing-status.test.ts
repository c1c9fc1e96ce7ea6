import { describe, expect, it } from 'vitest';
import { IDLE_PAIRING, type PairingView } from '../../messaging/ui-api.js';
import { describePairing } from './pairing-status.js';

const base: PairingView = { ...IDLE_PAIRING, role: 'new-device' };

describe('describePairing', () => {
  it('shows the code on the new device while it waits, with Cancel', () => {
    const text = describePairing({
      ...base,
      status: 'waiting',
      code: 'abcd-efgh-ijkm',
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(text).toMatchObject({
      progress: 'Waiting for your other device…',
      showCode: true,
      canCancel: true,
      canRetry: false,
    });
    expect(describePairing({ ...base, status: 'verifying', code: 'abcd-efgh-ijkm' }).progress).toBe(
      'Verifying…',
    );
  });

  it('says what happens on the signed-in device, and never shows a code there', () => {
    const add = { ...base, role: 'add-device' as const };
    expect(describePairing({ ...add, status: 'waiting' }).progress).toBe(
      'Connecting to the new device…',
    );
    expect(describePairing({ ...add, status: 'registering' })).toMatchObject({
      progress: 'Adding the device…',
      showCode: false,
    });
    // Still cancellable: success is not reported before the new device's `done`.
    expect(describePairing({ ...add, status: 'finishing' })).toMatchObject({
      progress: 'Waiting for the new device to finish…',
      showCode: false,
      canCancel: true,
      success: null,
    });
  });

  it('names the device added, and the account signed in to', () => {
    expect(
      describePairing({ ...base, role: 'add-device', status: 'done', deviceName: 'Phone' }).success,
    ).toBe('Done: “Phone” added. It receives your notifications from now on.');
    expect(describePairing({ ...base, status: 'done', username: 'alice' }).success).toBe(
      'Done: this device is signed in as “alice” and receives your notifications.',
    );
    expect(
      describePairing({ ...base, status: 'done', username: 'alice' }, { notificationsOn: false })
        .success,
    ).toContain('Turn on notifications');
  });

  it('offers Try again after a failure or a cancel', () => {
    const failed = describePairing({
      ...base,
      status: 'failed',
      error: { code: 'expired', message: 'The code expired.' },
    });
    expect(failed).toMatchObject({ error: 'The code expired.', canRetry: true, canCancel: false });
    expect(describePairing({ ...base, status: 'cancelled' })).toMatchObject({
      progress: 'Pairing cancelled.',
      canRetry: true,
    });
  });
});
