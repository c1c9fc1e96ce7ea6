import { describe, expect, it } from 'vitest';
import { openPayload, payloadAssociatedData, sealPayload } from './payload';
import { expectJpakeError } from './test-helpers';

const key = new Uint8Array(32).map((_, i) => i);
const ctx = { channel: 'abcd', sender: 'b' } as const;

describe('sealPayload / openPayload (XChaCha20-Poly1305)', () => {
  it('round-trips and prefixes a fresh 24-byte nonce', () => {
    const plaintext = new TextEncoder().encode('{"serverUrl":"https://x"}');
    const s1 = sealPayload(key, plaintext, ctx);
    const s2 = sealPayload(key, plaintext, ctx);
    expect(s1).toHaveLength(24 + plaintext.length + 16);
    expect(s1.subarray(0, 24)).not.toEqual(s2.subarray(0, 24));
    expect(openPayload(key, s1, ctx)).toEqual(plaintext);
    expect(openPayload(key, sealPayload(key, new Uint8Array(), ctx), ctx)).toEqual(
      new Uint8Array(),
    );
  });

  it('binds channel and sender through the associated data', () => {
    const sealed = sealPayload(key, new Uint8Array([1, 2, 3]), ctx);
    expectJpakeError(
      () => openPayload(key, sealed, { channel: 'abce', sender: 'b' }),
      'decrypt_failed',
    );
    expectJpakeError(
      () => openPayload(key, sealed, { channel: 'abcd', sender: 'a' }),
      'decrypt_failed',
    );
    expect(openPayload(key, sealed, { channel: 'ABCD', sender: 'b' })).toEqual(
      new Uint8Array([1, 2, 3]),
    );
  });

  it('the associated data is len‖label ‖ len‖channel ‖ len‖sender id', () => {
    const enc = new TextEncoder();
    const part = (s: string) => [0, 0, 0, enc.encode(s).length, ...enc.encode(s)];
    expect(payloadAssociatedData(ctx)).toEqual(
      new Uint8Array([
        ...part('push pairing v1 payload'),
        ...part('abcd'),
        ...part('push-pairing-b:abcd'),
      ]),
    );
  });

  it('rejects a wrong key, any flipped byte and truncation', () => {
    const sealed = sealPayload(key, new Uint8Array(10), ctx);
    const other = key.slice();
    other[0] = other[0]! ^ 1;
    expectJpakeError(() => openPayload(other, sealed, ctx), 'decrypt_failed');
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i] = bad[i]! ^ 0x20;
      expectJpakeError(() => openPayload(key, bad, ctx), 'decrypt_failed');
    }
    expectJpakeError(() => openPayload(key, sealed.subarray(0, 39), ctx), 'decrypt_failed');
    expectJpakeError(
      () => openPayload(key, sealed.subarray(0, sealed.length - 1), ctx),
      'decrypt_failed',
    );
  });

  it('insists on a 32-byte key', () => {
    expectJpakeError(() => sealPayload(new Uint8Array(16), new Uint8Array(), ctx), 'bad_state');
    expectJpakeError(() => openPayload(new Uint8Array(16), new Uint8Array(40), ctx), 'bad_state');
  });
});
