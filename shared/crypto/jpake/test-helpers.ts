// Helpers shared by the J-PAKE tests (test-only; not exported from index.ts).
import { sha256 } from '@noble/hashes/sha2.js';
import { expect } from 'vitest';
import { fromBase64Url, toBase64Url, utf8 } from './encoding';
import { JpakeError, type JpakeErrorCode } from './errors';
import type { KeyConfirmationMessage, Round1Message, Round2Message } from './messages';
import { JpakeParty } from './party';
import { CURVE_ORDER } from './schnorr';

/** A deterministic random source: SHA-256(seed ‖ counter) blocks. */
export function drbg(seed: string): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let o = 0; o < length; o += 32) {
      const block = sha256(new Uint8Array([...utf8(seed), ...utf8(String(counter++))]));
      out.set(block.subarray(0, Math.min(32, length - o)), o);
    }
    return out;
  };
}

/**
 * A random source that makes randomScalar() return the given scalars in order:
 * randomScalar maps 48 bytes to (OS2IP(bytes) mod (n−1)) + 1, so it is fed I2OSP(x − 1, 48).
 * Requests of other lengths (the payload nonce) are served by `rest`.
 */
export function scalarRandom(
  scalars: bigint[],
  rest: (length: number) => Uint8Array = drbg('rest'),
): (length: number) => Uint8Array {
  const queue = [...scalars];
  return (length) => {
    if (length !== 48) return rest(length);
    const x = queue.shift();
    if (x === undefined) throw new Error('scalarRandom: out of scalars');
    if (x < 1n || x >= CURVE_ORDER) throw new Error('scalarRandom: scalar out of range');
    const out = new Uint8Array(48);
    let v = x - 1n;
    for (let i = 47; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  };
}

/** XORs `mask` (non-zero) into byte `index` of a base64url field. */
export function flipByte(b64: string, index: number, mask = 0x01): string {
  const bytes = fromBase64Url(b64);
  const i = ((index % bytes.length) + bytes.length) % bytes.length;
  bytes[i] = bytes[i]! ^ (mask & 0xff || 1);
  return toBase64Url(bytes);
}

export function expectJpakeError(
  fn: () => unknown,
  code: JpakeErrorCode | JpakeErrorCode[],
): JpakeError {
  const codes = Array.isArray(code) ? code : [code];
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JpakeError);
    expect(codes).toContain((e as JpakeError).code);
    return e as JpakeError;
  }
  throw new Error(`expected JpakeError(${codes.join('|')}), nothing was thrown`);
}

export interface Run {
  a: JpakeParty;
  b: JpakeParty;
  a1: Round1Message;
  b1: Round1Message;
  a2: Round2Message;
  b2: Round2Message;
  a3: KeyConfirmationMessage;
  b3: KeyConfirmationMessage;
}

/** Runs both sides up to (not including) confirm(). */
export function runToConfirmation(
  channel: string,
  passwordA: string,
  passwordB = passwordA,
  channelB = channel,
): Run {
  const a = new JpakeParty({ role: 'a', channel, password: passwordA });
  const b = new JpakeParty({ role: 'b', channel: channelB, password: passwordB });
  const a1 = a.round1();
  const b1 = b.round1();
  const a2 = a.round2(b1);
  const b2 = b.round2(a1);
  const a3 = a.finish(b2);
  const b3 = b.finish(a2);
  return { a, b, a1, b1, a2, b2, a3, b3 };
}

/** A deep copy of a JSON message (so tampering one never touches the original). */
export function clone<T>(m: T): T {
  return JSON.parse(JSON.stringify(m)) as T;
}

/** Fresh parties a and b in state round1 plus their round-1 messages. */
export function freshPair(channel = 'abcd', password = 'efghijkm') {
  const a = new JpakeParty({ role: 'a', channel, password });
  const b = new JpakeParty({ role: 'b', channel, password });
  return { a, b, a1: a.round1(), b1: b.round1() };
}
