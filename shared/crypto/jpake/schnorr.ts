// P-256 helpers and the Schnorr non-interactive zero-knowledge proof of RFC 8235 §3 (elliptic
// curve setting), as J-PAKE uses it. The wire format is pinned down in docs/pairing-transcript.md.
import { mapHashToField } from '@noble/curves/abstract/modular.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { lengthPrefixed } from './encoding';
import { JpakeError } from './errors';

export type Point = WeierstrassPoint<bigint>;
export type RandomSource = (length: number) => Uint8Array;

export const Point = p256.Point;
export const Fn = p256.Point.Fn;
/** The order n of the P-256 base point. */
export const CURVE_ORDER: bigint = Fn.ORDER;
/** Points travel as 65-byte uncompressed SEC1 encodings (0x04 ‖ x ‖ y). */
export const POINT_BYTES = 65;
/** Scalars travel as 32-byte big-endian integers in [0, n-1]. */
export const SCALAR_BYTES = 32;
/** The "OtherInfo" of RFC 8235 §2.3: a fixed protocol label ending the challenge input. */
export const SCHNORR_OTHER_INFO = 'push pairing v1 schnorr';

export const defaultRandom: RandomSource = (length) => randomBytes(length);

/** A uniformly random scalar in [1, n-1] (48 random bytes reduced mod n-1, plus 1). */
export function randomScalar(random: RandomSource = defaultRandom): bigint {
  const bytes = random(48);
  if (!(bytes instanceof Uint8Array) || bytes.length !== 48) {
    throw new JpakeError('bad_state', 'the random source returned the wrong number of bytes');
  }
  return Fn.fromBytes(mapHashToField(bytes, CURVE_ORDER));
}

export function encodePoint(p: Point): Uint8Array {
  if (p.is0()) throw new JpakeError('invalid_point', 'cannot encode the identity point');
  return p.toBytes(false);
}

/**
 * Decodes a 65-byte uncompressed point, checking it lies on P-256 (Point.fromBytes validates)
 * and is not the identity (P-256 has cofactor 1, so every other curve point is in the group).
 */
export function decodePoint(bytes: Uint8Array, what = 'point'): Point {
  if (bytes.length !== POINT_BYTES || bytes[0] !== 0x04) {
    throw new JpakeError('invalid_point', `${what} is not an uncompressed P-256 point`);
  }
  let p: Point;
  try {
    p = Point.fromBytes(bytes);
    p.assertValidity();
  } catch {
    throw new JpakeError('invalid_point', `${what} is not on P-256`);
  }
  if (p.is0()) throw new JpakeError('invalid_point', `${what} is the identity`);
  return p;
}

export function encodeScalar(x: bigint): Uint8Array {
  return Fn.toBytes(x);
}

/** Decodes a 32-byte big-endian scalar; values ≥ n are rejected (no silent reduction). */
export function decodeScalar(bytes: Uint8Array, what = 'scalar'): bigint {
  if (bytes.length !== SCALAR_BYTES) {
    throw new JpakeError('invalid_message', `${what} must be ${SCALAR_BYTES} bytes`);
  }
  try {
    return Fn.fromBytes(bytes);
  } catch {
    throw new JpakeError('invalid_proof', `${what} is out of range`);
  }
}

export function assertNotIdentity(p: Point, what: string): void {
  if (p.is0()) throw new JpakeError('invalid_point', `${what} is the identity`);
}

export interface SchnorrProof {
  /** The commitment V = v·Gen. */
  V: Point;
  /** The response r = v − x·c mod n. */
  r: bigint;
}

/**
 * The challenge c = SHA-256(len‖Gen ‖ len‖V ‖ len‖X ‖ len‖signerId ‖ len‖OtherInfo) mod n,
 * every item preceded by its 4-byte big-endian length, points uncompressed (65 bytes).
 */
export function schnorrChallenge(gen: Point, V: Point, X: Point, signerId: string): bigint {
  const digest = sha256(
    lengthPrefixed(encodePoint(gen), encodePoint(V), encodePoint(X), signerId, SCHNORR_OTHER_INFO),
  );
  return Fn.create(bytesToBigInt(digest));
}

/** Proves knowledge of x with X = x·gen, bound to signerId (RFC 8235 §3.2). */
export function proveSchnorr(
  gen: Point,
  x: bigint,
  X: Point,
  signerId: string,
  random: RandomSource = defaultRandom,
): SchnorrProof {
  const v = randomScalar(random);
  const V = gen.multiply(v); // constant-time: v is secret
  const c = schnorrChallenge(gen, V, X, signerId);
  const r = Fn.sub(v, Fn.mul(x, c));
  return { V, r };
}

/**
 * Verifies a proof that the signer knows log_gen(X) (RFC 8235 §3.3): gen, X and V are group
 * elements other than the identity (the decoders already checked they are on the curve), r is
 * in [0, n-1], and V = r·gen + c·X for the recomputed challenge c. Throws JpakeError.
 */
export function verifySchnorr(gen: Point, X: Point, proof: SchnorrProof, signerId: string): void {
  assertNotIdentity(gen, 'the proof generator');
  assertNotIdentity(X, 'the proven point');
  assertNotIdentity(proof.V, 'the proof commitment V');
  gen.assertValidity();
  X.assertValidity();
  proof.V.assertValidity();
  if (proof.r < 0n || proof.r >= CURVE_ORDER) {
    throw new JpakeError('invalid_proof', 'the proof response r is out of range');
  }
  const c = schnorrChallenge(gen, proof.V, X, signerId);
  // Public values only, so the variable-time double multiplication is fine here.
  const check = gen.multiplyUnsafe(proof.r).add(X.multiplyUnsafe(c));
  if (!check.equals(proof.V)) {
    throw new JpakeError('invalid_proof', `the proof by ${signerId} does not verify`);
  }
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}
