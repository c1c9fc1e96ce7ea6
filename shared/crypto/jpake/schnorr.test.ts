import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { lengthPrefixed } from './encoding';
import {
  bytesToBigInt,
  CURVE_ORDER,
  decodePoint,
  decodeScalar,
  encodePoint,
  encodeScalar,
  Fn,
  Point,
  proveSchnorr,
  randomScalar,
  schnorrChallenge,
  verifySchnorr,
} from './schnorr';
import { drbg, expectJpakeError } from './test-helpers';

const G = Point.BASE;

describe('Schnorr NIZK (RFC 8235 §3)', () => {
  it('a proof verifies for the generator G and for another generator', () => {
    for (const gen of [G, G.multiply(7n).add(G.multiply(123456789n))]) {
      const x = randomScalar();
      const X = gen.multiply(x);
      const proof = proveSchnorr(gen, x, X, 'push-pairing-a:abcd');
      verifySchnorr(gen, X, proof, 'push-pairing-a:abcd');
      // V = r·gen + c·X, as the RFC states
      const c = schnorrChallenge(gen, proof.V, X, 'push-pairing-a:abcd');
      expect(gen.multiplyUnsafe(proof.r).add(X.multiplyUnsafe(c)).equals(proof.V)).toBe(true);
      expect(proof.r >= 0n && proof.r < CURVE_ORDER).toBe(true);
    }
  });

  it('the proof is bound to the signer id, the generator and X', () => {
    const x = randomScalar();
    const X = G.multiply(x);
    const proof = proveSchnorr(G, x, X, 'push-pairing-a:abcd');
    expectJpakeError(() => verifySchnorr(G, X, proof, 'push-pairing-b:abcd'), 'invalid_proof');
    expectJpakeError(() => verifySchnorr(G, X, proof, 'push-pairing-a:abce'), 'invalid_proof');
    expectJpakeError(
      () => verifySchnorr(G.double(), X, proof, 'push-pairing-a:abcd'),
      'invalid_proof',
    );
    expectJpakeError(
      () => verifySchnorr(G, X.add(G), proof, 'push-pairing-a:abcd'),
      'invalid_proof',
    );
    expectJpakeError(
      () => verifySchnorr(G, X, { ...proof, r: Fn.create(proof.r + 1n) }, 'push-pairing-a:abcd'),
      'invalid_proof',
    );
    expectJpakeError(
      () => verifySchnorr(G, X, { ...proof, V: proof.V.add(G) }, 'push-pairing-a:abcd'),
      'invalid_proof',
    );
  });

  it('a proof for the wrong secret does not verify', () => {
    const x = randomScalar();
    const X = G.multiply(x);
    const proof = proveSchnorr(G, Fn.create(x + 1n), X, 'id');
    expectJpakeError(() => verifySchnorr(G, X, proof, 'id'), 'invalid_proof');
  });

  it('identity X, V or generator are rejected with invalid_point', () => {
    const x = randomScalar();
    const X = G.multiply(x);
    const proof = proveSchnorr(G, x, X, 'id');
    expectJpakeError(() => verifySchnorr(G, Point.ZERO, proof, 'id'), 'invalid_point');
    expectJpakeError(() => verifySchnorr(G, X, { ...proof, V: Point.ZERO }, 'id'), 'invalid_point');
    expectJpakeError(() => verifySchnorr(Point.ZERO, X, proof, 'id'), 'invalid_point');
    // the classic forgery for X = identity: V = r·G, any c
    const r = randomScalar();
    expectJpakeError(
      () => verifySchnorr(G, Point.ZERO, { V: G.multiply(r), r }, 'id'),
      'invalid_point',
    );
  });

  it('r outside [0, n-1] is rejected', () => {
    const x = randomScalar();
    const X = G.multiply(x);
    const proof = proveSchnorr(G, x, X, 'id');
    expectJpakeError(
      () => verifySchnorr(G, X, { ...proof, r: proof.r + CURVE_ORDER }, 'id'),
      'invalid_proof',
    );
    expectJpakeError(() => verifySchnorr(G, X, { ...proof, r: -1n }, 'id'), 'invalid_proof');
  });

  it('the challenge is SHA-256 of the length-prefixed Gen, V, X, signer id and OtherInfo, mod n', () => {
    const V = G.multiply(5n);
    const X = G.multiply(9n);
    const prefix = (n: number) => [0, 0, n >> 8, n & 255];
    const input = new Uint8Array([
      ...prefix(65),
      ...G.toBytes(false),
      ...prefix(65),
      ...V.toBytes(false),
      ...prefix(65),
      ...X.toBytes(false),
      ...prefix(2),
      ...new TextEncoder().encode('id'),
      ...prefix(23),
      ...new TextEncoder().encode('push pairing v1 schnorr'),
    ]);
    expect(
      lengthPrefixed(
        encodePoint(G),
        encodePoint(V),
        encodePoint(X),
        'id',
        'push pairing v1 schnorr',
      ),
    ).toEqual(input);
    expect(schnorrChallenge(G, V, X, 'id')).toBe(bytesToBigInt(sha256(input)) % CURVE_ORDER);
  });
});

describe('point and scalar encodings', () => {
  it('points round-trip as 65-byte uncompressed encodings', () => {
    const P = G.multiply(424242n);
    const bytes = encodePoint(P);
    expect(bytes).toHaveLength(65);
    expect(bytes[0]).toBe(4);
    expect(decodePoint(bytes).equals(P)).toBe(true);
  });

  it('compressed, identity, off-curve and wrong-length encodings are rejected', () => {
    const P = G.multiply(424242n);
    expectJpakeError(() => decodePoint(P.toBytes(true)), 'invalid_point');
    expectJpakeError(() => decodePoint(new Uint8Array([0])), 'invalid_point');
    expectJpakeError(() => decodePoint(new Uint8Array(65)), 'invalid_point');
    const bad = encodePoint(P);
    bad[10] = bad[10]! ^ 0x10;
    expectJpakeError(() => decodePoint(bad), 'invalid_point');
    // a point with x = p (out of field range) and arbitrary y
    const p = Point.CURVE().p;
    const xp = encodeScalar(0n);
    let v = p;
    for (let i = 31; i >= 0; i--) {
      xp[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    expectJpakeError(
      () => decodePoint(new Uint8Array([4, ...xp, ...encodePoint(G).subarray(33)])),
      'invalid_point',
    );
    expectJpakeError(() => encodePoint(Point.ZERO), 'invalid_point');
  });

  it('scalars are 32 bytes big-endian below n', () => {
    expect(decodeScalar(encodeScalar(12345n))).toBe(12345n);
    expect(decodeScalar(encodeScalar(CURVE_ORDER - 1n))).toBe(CURVE_ORDER - 1n);
    expectJpakeError(() => decodeScalar(new Uint8Array(32).fill(255)), 'invalid_proof');
    expectJpakeError(() => decodeScalar(new Uint8Array(31)), 'invalid_message');
  });

  it('random scalars are in [1, n-1] and reject a misbehaving random source', () => {
    const random = drbg('scalars');
    for (let i = 0; i < 50; i++) {
      const x = randomScalar(random);
      expect(x >= 1n && x < CURVE_ORDER).toBe(true);
    }
    expect(randomScalar(() => new Uint8Array(48))).toBe(1n);
    expectJpakeError(() => randomScalar(() => new Uint8Array(32)), 'bad_state');
  });
});
