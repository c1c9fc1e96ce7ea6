import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from './encoding';
import type { JpakeError } from './errors';
import {
  DONE_SEALED_LENGTH,
  DONE_TEXT,
  DoneMessage,
  PAIRING_READS,
  PAIRING_STEP_INFO,
  PAIRING_STEPS,
  PAIRING_WRITES,
} from './messages';
import { abortMessageFor, JpakeParty, passwordScalar } from './party';
import {
  DONE_AAD_LABEL,
  openPayload as openPayloadWith,
  sealPayload as sealPayloadWith,
} from './payload';
import { bytesToBigInt, CURVE_ORDER, encodePoint, encodeScalar, Point } from './schnorr';
import { clone, expectJpakeError, flipByte, freshPair, runToConfirmation } from './test-helpers';

const text = new TextEncoder();
const untext = new TextDecoder();

/** Both parties after round 2 (each has sent its round 2, neither has called finish). */
function pairAfterRound2(channel = 'abcd', password = 'efghijkm') {
  const { a, b, a1, b1 } = freshPair(channel, password);
  const a2 = a.round2(b1);
  const b2 = b.round2(a1);
  return { a, b, a1, b1, a2, b2 };
}

function getPath(m: Record<string, unknown>, path: string): string {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], m) as string;
}
function setPath(m: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  const target = keys.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], m);
  (target as Record<string, unknown>)[last] = value;
}

describe('JpakeParty: matching codes', () => {
  it('both sides derive the same key, confirm, and the payload round-trips', () => {
    const { a, b, a3, b3 } = runToConfirmation('abcd', 'efghijkm');
    b.confirm(a3);
    a.confirm(b3);
    expect(a.state).toBe('confirmed');
    expect(b.state).toBe('confirmed');
    expect(a.payloadKey).toEqual(b.payloadKey);
    expect(a.payloadKey).toHaveLength(32);

    const payload = JSON.stringify({
      serverUrl: 'https://push.example',
      username: 'alice',
      clientId: 'c1',
      clientToken: 't',
      secretKey: 'k',
    });
    const sealed = b.sealPayload(text.encode(payload));
    expect(untext.decode(a.openPayload(sealed))).toBe(payload);
  });

  it('accepts the channel and password in any case', () => {
    const { a, b, a3, b3 } = runToConfirmation('ABCD', 'EFGHijkm', 'efghIJKM', 'abcd');
    a.confirm(b3);
    b.confirm(a3);
    expect(a.payloadKey).toEqual(b.payloadKey);
  });

  it('runs produce fresh keys and fresh messages each time', () => {
    const r1 = runToConfirmation('abcd', 'efghijkm');
    const r2 = runToConfirmation('abcd', 'efghijkm');
    r1.a.confirm(r1.b3);
    r2.a.confirm(r2.b3);
    expect(r1.a.payloadKey).not.toEqual(r2.a.payloadKey);
    expect(r1.a1.G1).not.toBe(r2.a1.G1);
  });

  it('messages are plain JSON with base64url strings of fixed lengths', () => {
    const { a1, a2, a3 } = runToConfirmation('abcd', 'efghijkm');
    for (const m of [a1, a2, a3]) expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    expect(a1.G1).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(a1.zkp1.r).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a2.A).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(a3.mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(a1).length).toBeLessThan(8192);
  });

  it('the two tags differ (each side proves its own direction)', () => {
    const { a3, b3 } = runToConfirmation('abcd', 'efghijkm');
    expect(a3.mac).not.toBe(b3.mac);
  });
});

describe('JpakeParty: wrong code', () => {
  it('a wrong password fails key confirmation on both sides', () => {
    const { a, b, a3, b3 } = runToConfirmation('abcd', 'efghijkm', 'efghijkn');
    expectJpakeError(() => a.confirm(b3), 'key_confirmation_failed');
    expectJpakeError(() => b.confirm(a3), 'key_confirmation_failed');
    expect(a.state).toBe('failed');
    expect(b.state).toBe('failed');
    // nothing can be sealed or opened afterwards, and the failure is final
    expectJpakeError(() => b.sealPayload(new Uint8Array(1)), 'bad_state');
    expectJpakeError(() => a.openPayload('AAAA'), 'bad_state');
    expectJpakeError(() => a.confirm(b3), 'bad_state');
  });

  it('a different channel (same password) is rejected: the proofs are bound to the channel', () => {
    const a = new JpakeParty({ role: 'a', channel: 'abcd', password: 'efghijkm' });
    const b = new JpakeParty({ role: 'b', channel: 'abce', password: 'efghijkm' });
    a.round1();
    expectJpakeError(() => a.round2(b.round1()), 'invalid_proof');
  });

  it('the password scalar is in [1, n-1] and depends on password and channel', () => {
    const s = passwordScalar('efghijkm', 'abcd');
    expect(s > 0n && s < CURVE_ORDER).toBe(true);
    expect(passwordScalar('EFGHIJKM', 'ABCD')).toBe(s);
    expect(passwordScalar('efghijkn', 'abcd')).not.toBe(s);
    expect(passwordScalar('efghijkm', 'abce')).not.toBe(s);
  });

  it('abortMessageFor gives the error code for the abort step', () => {
    const { a, b3 } = runToConfirmation('abcd', 'efghijkm', 'efghijkn');
    try {
      a.confirm(b3);
    } catch (e) {
      expect(abortMessageFor(e)).toMatchObject({ error: 'key_confirmation_failed' });
    }
    expect(abortMessageFor(new Error('x'))).toEqual({ error: 'aborted' });
  });
});

describe('JpakeParty: tampered round 1', () => {
  const cases: Array<[string, string]> = [
    ['G1', 'invalid_point'],
    ['G2', 'invalid_point'],
    ['zkp1.V', 'invalid_point'],
    ['zkp1.r', 'invalid_proof'],
    ['zkp2.V', 'invalid_point'],
    ['zkp2.r', 'invalid_proof'],
  ];
  for (const [field, code] of cases) {
    for (const index of [0, 1, 17, 33, -1]) {
      it(`a flipped byte ${index} of ${field} is rejected with ${code} (both directions)`, () => {
        const { a, b, a1, b1 } = freshPair();
        const badA1 = clone(a1);
        setPath(badA1, field, flipByte(getPath(a1, field), index));
        expectJpakeError(() => b.round2(badA1), code as JpakeError['code']);
        const badB1 = clone(b1);
        setPath(badB1, field, flipByte(getPath(b1, field), index, 0x80));
        expectJpakeError(() => a.round2(badB1), code as JpakeError['code']);
      });
    }
  }

  it('a valid but substituted G1 (not the one proven) is rejected', () => {
    const { b, a1 } = freshPair();
    const bad = clone(a1);
    bad.G1 = toBase64Url(encodePoint(Point.BASE.multiply(12345n)));
    expectJpakeError(() => b.round2(bad), 'invalid_proof');
  });

  it('swapped proofs or swapped points are rejected', () => {
    const { b, a1 } = freshPair();
    expectJpakeError(() => b.round2({ ...a1, zkp1: a1.zkp2, zkp2: a1.zkp1 }), 'invalid_proof');
    const { b: b2, a1: a1b } = freshPair();
    expectJpakeError(() => b2.round2({ ...a1b, G1: a1b.G2, G2: a1b.G1 }), 'invalid_proof');
  });

  it('r ≥ n is rejected', () => {
    const { b, a1 } = freshPair();
    const bad = clone(a1);
    const n = new Uint8Array(32);
    let v = CURVE_ORDER;
    for (let i = 31; i >= 0; i--) {
      n[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    bad.zkp1.r = toBase64Url(n);
    expectJpakeError(() => b.round2(bad), 'invalid_proof');
  });

  it('r = n − r′ (the negated response) is rejected', () => {
    const { b, a1 } = freshPair();
    const bad = clone(a1);
    const r = bytesToBigInt(fromBase64Url(a1.zkp1.r));
    bad.zkp1.r = toBase64Url(encodeScalar(CURVE_ORDER - r));
    expectJpakeError(() => b.round2(bad), 'invalid_proof');
  });

  it('the identity and off-curve points are rejected', () => {
    const zero65 = toBase64Url(new Uint8Array(65));
    const zero65with04 = toBase64Url(new Uint8Array([4, ...new Uint8Array(64)]));
    const g = encodePoint(Point.BASE);
    const offCurve = g.slice();
    offCurve[64] = offCurve[64]! ^ 1; // y + 1 or y − 1: off the curve
    const compressed = toBase64Url(
      new Uint8Array([2, ...g.subarray(1, 33), ...new Uint8Array(32)]),
    );
    for (const field of ['G1', 'G2', 'zkp1.V', 'zkp2.V']) {
      for (const bad of [zero65, zero65with04, toBase64Url(offCurve), compressed]) {
        const { b, a1 } = freshPair();
        const m = clone(a1);
        setPath(m, field, bad);
        expectJpakeError(() => b.round2(m), 'invalid_point');
      }
    }
  });

  it('malformed messages are rejected with invalid_message', () => {
    const { a1 } = freshPair();
    const bads: unknown[] = [
      null,
      'a1',
      {},
      { ...a1, G1: undefined },
      { ...a1, G1: `${a1.G1}A` },
      { ...a1, G1: a1.G1.slice(1) },
      { ...a1, G1: `${a1.G1.slice(0, -1)}=` },
      { ...a1, G1: `${a1.G1.slice(0, -1)}+` },
      { ...a1, zkp1: { V: a1.zkp1.V } },
      { ...a1, zkp1: { ...a1.zkp1, r: 5 } },
      // non-canonical base64url: the last character of a 32-byte value carries 2 unused bits
      { ...a1, zkp1: { ...a1.zkp1, r: nonCanonical(a1.zkp1.r) } },
    ];
    for (const bad of bads) {
      const { b } = freshPair();
      expectJpakeError(() => b.round2(bad), 'invalid_message');
    }
  });
});

function nonCanonical(b64: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(b64.at(-1)!);
  return b64.slice(0, -1) + alphabet[last ^ 1]!;
}

describe('JpakeParty: reflection and own-id proofs', () => {
  it('a party rejects its own round-1 message sent back to it', () => {
    const { a, b, a1, b1 } = freshPair();
    expectJpakeError(() => a.round2(a1), 'invalid_proof');
    expectJpakeError(() => b.round2(b1), 'invalid_proof');
  });

  it('a party rejects proofs made under its own id (another "a" with the same code)', () => {
    const { a } = freshPair();
    const impostor = new JpakeParty({ role: 'a', channel: 'abcd', password: 'efghijkm' });
    expectJpakeError(() => a.round2(impostor.round1()), 'invalid_proof');
  });

  it('a party rejects its own round-2 message sent back to it', () => {
    const { a, a2 } = pairAfterRound2();
    expectJpakeError(() => a.finish(a2), 'invalid_proof');
  });

  it('a party rejects its own key-confirmation tag sent back to it', () => {
    const { a, a3 } = runToConfirmation('abcd', 'efghijkm');
    expectJpakeError(() => a.confirm(a3), 'key_confirmation_failed');
  });

  it('a round-2 message from another run (same code) is rejected', () => {
    const run1 = pairAfterRound2();
    const run2 = pairAfterRound2();
    expectJpakeError(() => run1.b.finish(run2.a2), 'invalid_proof');
  });
});

describe('JpakeParty: tampered round 2 and confirmation', () => {
  const cases: Array<[string, JpakeError['code']]> = [
    ['A', 'invalid_point'],
    ['zkpA.V', 'invalid_point'],
    ['zkpA.r', 'invalid_proof'],
  ];
  for (const [field, code] of cases) {
    for (const index of [0, 2, 40, -1]) {
      it(`a flipped byte ${index} of ${field} is rejected with ${code} (both directions)`, () => {
        const { a, b, a2, b2 } = pairAfterRound2();
        const badA2 = clone(a2);
        setPath(badA2, field, flipByte(getPath(a2, field), index));
        expectJpakeError(() => b.finish(badA2), code);
        const badB2 = clone(b2);
        setPath(badB2, field, flipByte(getPath(b2, field), index, 0x40));
        expectJpakeError(() => a.finish(badB2), code);
      });
    }
  }

  it('a valid but substituted A is rejected', () => {
    const { b, a2 } = pairAfterRound2();
    expectJpakeError(
      () => b.finish({ ...a2, A: toBase64Url(encodePoint(Point.BASE.multiply(99n))) }),
      'invalid_proof',
    );
  });

  it('an identity / off-curve A is rejected', () => {
    const { b, a2 } = pairAfterRound2();
    expectJpakeError(
      () => b.finish({ ...a2, A: toBase64Url(new Uint8Array(65)) }),
      'invalid_point',
    );
  });

  for (const index of [0, 15, 31]) {
    it(`a flipped byte ${index} of the mac fails key confirmation (both directions)`, () => {
      const { a, b, a3, b3 } = runToConfirmation('abcd', 'efghijkm');
      expectJpakeError(
        () => b.confirm({ mac: flipByte(a3.mac, index) }),
        'key_confirmation_failed',
      );
      expectJpakeError(
        () => a.confirm({ mac: flipByte(b3.mac, index, 0x80) }),
        'key_confirmation_failed',
      );
    });
  }

  it('a malformed confirmation message is invalid_message', () => {
    const { a, b3 } = runToConfirmation('abcd', 'efghijkm');
    expectJpakeError(() => a.confirm({ mac: b3.mac.slice(2) }), 'invalid_message');
  });

  it('a tampered or misdirected payload is rejected with decrypt_failed', () => {
    const { a, b, a3, b3 } = runToConfirmation('abcd', 'efghijkm');
    a.confirm(b3);
    b.confirm(a3);
    const sealed = b.sealPayload(text.encode('secret'));
    for (const index of [0, 23, 24, 30, -1]) {
      expectJpakeError(() => a.openPayload(flipByte(sealed, index)), 'decrypt_failed');
    }
    expectJpakeError(() => a.openPayload(sealed.slice(0, 40)), 'decrypt_failed');
    expectJpakeError(() => a.openPayload('!!'), 'decrypt_failed');
    // b cannot be tricked into opening what it sealed itself (the sender is in the AAD)
    expectJpakeError(() => b.openPayload(sealed), 'decrypt_failed');
    // a failed open does not break the session
    expect(untext.decode(a.openPayload(sealed))).toBe('secret');
  });
});

describe('JpakeParty: the done step', () => {
  /** Both sides confirmed, as after a3/b3 of a real run. */
  function confirmedPair(channel = 'abcd', password = 'efghijkm') {
    const run = runToConfirmation(channel, password);
    run.a.confirm(run.b3);
    run.b.confirm(run.a3);
    return run;
  }

  it('a genuine done verifies, has the documented length, and is fresh each time', () => {
    const { a, b } = confirmedPair();
    const done = a.sealDone();
    expect(DoneMessage.parse(done)).toEqual(done);
    expect(done.sealed).toHaveLength(DONE_SEALED_LENGTH);
    expect(JSON.parse(JSON.stringify(done))).toEqual(done);
    b.openDone(done);
    expect(b.state).toBe('confirmed');
    // A fresh nonce each time: the relay cannot tell two runs' done apart by its bytes.
    expect(a.sealDone().sealed).not.toBe(done.sealed);
  });

  it('opens to exactly DONE_TEXT under the payload key with the done label and a’s id', () => {
    const { a, b } = confirmedPair('wxyz');
    const bytes = fromBase64Url(a.sealDone().sealed);
    const opened = openPayloadWith(b.payloadKey, bytes, {
      channel: 'wxyz',
      sender: 'a',
      label: DONE_AAD_LABEL,
    });
    expect(untext.decode(opened)).toBe(DONE_TEXT);
  });

  it('rejects a forged, altered or truncated done with decrypt_failed / invalid_message', () => {
    for (const index of [0, 23, 24, 40, -1]) {
      const { a, b } = confirmedPair();
      const forged = { sealed: flipByte(a.sealDone().sealed, index) };
      expectJpakeError(() => b.openDone(forged), 'decrypt_failed');
      // A failed done ends the run: the party refuses everything after it.
      expect(b.state).toBe('failed');
    }
    const { b } = confirmedPair();
    // What an unauthenticated relay could write on its own.
    expectJpakeError(() => b.openDone({ ok: true }), 'invalid_message');
    const c = confirmedPair().b;
    expectJpakeError(
      () => c.openDone({ sealed: 'A'.repeat(DONE_SEALED_LENGTH) }),
      'decrypt_failed',
    );
    const d = confirmedPair().b;
    expectJpakeError(() => d.openDone({ sealed: 'A'.repeat(40) }), 'invalid_message');
  });

  it('rejects a done replayed from another run, even with the same code and channel', () => {
    const other = confirmedPair();
    const { b } = confirmedPair();
    expectJpakeError(() => b.openDone(other.a.sealDone()), 'decrypt_failed');
  });

  it('rejects the payload, or another text, passed off as done', () => {
    const { a, b } = confirmedPair();
    // The right key and sender, but the payload's AAD label: must not count as done.
    const asPayload = sealPayloadWith(a.payloadKey, text.encode(DONE_TEXT), {
      channel: 'abcd',
      sender: 'a',
    });
    expectJpakeError(() => b.openDone({ sealed: toBase64Url(asPayload) }), 'decrypt_failed');
    // The right key, label and sender, but another text of the same length.
    const wrongText = confirmedPair();
    const sealed = sealPayloadWith(wrongText.a.payloadKey, text.encode('push pairing v1 DONE'), {
      channel: 'abcd',
      sender: 'a',
      label: DONE_AAD_LABEL,
    });
    expectJpakeError(() => wrongText.b.openDone({ sealed: toBase64Url(sealed) }), 'decrypt_failed');
  });

  it('done is for a only and b only, and only after confirm()', () => {
    const { a, b, a3, b3 } = runToConfirmation('abcd', 'efghijkm');
    expectJpakeError(() => a.sealDone(), 'bad_state');
    expectJpakeError(() => b.openDone({ sealed: 'A'.repeat(DONE_SEALED_LENGTH) }), 'bad_state');
    a.confirm(b3);
    b.confirm(a3);
    expectJpakeError(() => b.sealDone(), 'bad_state');
    expectJpakeError(() => a.openDone(a.sealDone()), 'bad_state');
    // Role mistakes are programming errors and do not end the run.
    b.openDone(a.sealDone());
  });
});

describe('the relay step tables', () => {
  it('done is written by a, read by b, last; each step is written by its writer and read by its reader', () => {
    expect(PAIRING_STEPS.done).toBe('done');
    expect(PAIRING_STEP_INFO.done).toMatchObject({
      writer: 'a',
      reader: 'b',
      message: 'DoneMessage',
    });
    expect(PAIRING_WRITES.a.at(-1)).toBe('done');
    expect(PAIRING_READS.b.at(-1)).toBe('done');
    for (const role of ['a', 'b'] as const) {
      for (const step of PAIRING_WRITES[role]) expect(PAIRING_STEP_INFO[step].writer).toBe(role);
      for (const step of PAIRING_READS[role]) expect(PAIRING_STEP_INFO[step].reader).toBe(role);
    }
  });
});

describe('JpakeParty: call order', () => {
  it('out-of-order calls throw bad_state', () => {
    const { a1, b1 } = freshPair();
    const p = new JpakeParty({ role: 'a', channel: 'abcd', password: 'efghijkm' });
    expectJpakeError(() => p.round2(b1), 'bad_state');
    expectJpakeError(() => p.finish({}), 'bad_state');
    expectJpakeError(() => p.confirm({}), 'bad_state');
    expectJpakeError(() => p.sealPayload(new Uint8Array()), 'bad_state');
    expectJpakeError(() => p.openPayload(''), 'bad_state');
    expectJpakeError(() => p.payloadKey, 'bad_state');
    p.round1();
    expectJpakeError(() => p.round1(), 'bad_state');
    expectJpakeError(() => p.finish({}), 'bad_state');
    p.round2(b1);
    expectJpakeError(() => p.round2(b1), 'bad_state');
    expectJpakeError(() => p.confirm({}), 'bad_state');
    expectJpakeError(() => p.sealPayload(new Uint8Array()), 'bad_state');
    // bad_state does not poison the party: the run can continue
    expect(p.state).toBe('round2');
    void a1;
  });

  it('any failed step poisons the party', () => {
    const { a, b1 } = freshPair();
    expectJpakeError(() => a.round2({ ...b1, G1: b1.G2 }), 'invalid_proof');
    expect(a.state).toBe('failed');
    const e = expectJpakeError(() => a.round2(b1), 'bad_state');
    expect(e.message).toMatch(/start a new pairing/);
  });

  it('seal/open are only available after confirm(), even when finish() succeeded', () => {
    const { a, b } = runToConfirmation('abcd', 'efghijkm');
    expectJpakeError(() => b.sealPayload(new Uint8Array(1)), 'bad_state');
    expectJpakeError(() => a.openPayload('AAAA'), 'bad_state');
  });

  it('rejects a bad role, channel or password at construction', () => {
    expectJpakeError(
      () => new JpakeParty({ role: 'c' as 'a', channel: 'abcd', password: 'efghijkm' }),
      'invalid_message',
    );
    expectJpakeError(
      () => new JpakeParty({ role: 'a', channel: 'abc', password: 'efghijkm' }),
      'invalid_message',
    );
    expectJpakeError(
      () => new JpakeParty({ role: 'a', channel: 'abc0', password: 'efghijkm' }),
      'invalid_message',
    );
    expectJpakeError(
      () => new JpakeParty({ role: 'a', channel: 'abcd', password: 'efghijk' }),
      'invalid_message',
    );
    expectJpakeError(
      () => new JpakeParty({ role: 'a', channel: 'abcd', password: 'efghijkl' }),
      'invalid_message',
    );
  });

  it('ids bind role and channel', () => {
    const { a, b } = freshPair('wxyz');
    expect(a.id).toBe('push-pairing-a:wxyz');
    expect(a.peerId).toBe('push-pairing-b:wxyz');
    expect(b.id).toBe('push-pairing-b:wxyz');
  });
});
