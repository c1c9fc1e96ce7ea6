// EC-J-PAKE (RFC 8236 §3) over P-256 with Schnorr proofs (RFC 8235 §3), three passes plus the
// explicit key confirmation of RFC 8236 §4 (NIST SP 800-56A style "KC_1_U" tags), for pairing a
// new device through the server's relay. The exact transcript: docs/pairing-transcript.md.
//
// The class is transport-agnostic: it turns the peer's message into the next own message and
// never does I/O. Each side runs, in this order:
//   round1() → write a1|b1;  round2(peer's a1|b1) → write a2|b2;  finish(peer's a2|b2) → write
//   a3|b3;  confirm(peer's a3|b3);  then b: sealPayload(...) → write payload, a: openPayload(...);
//   finally a: sealDone() → write done (once the credentials are stored), b: openDone(done).
// Any failure other than bad_state (a programming error) poisons the party: every later call
// throws bad_state, so one run gives an attacker at most one password guess.

import { mapHashToField } from '@noble/curves/abstract/modular.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { z } from 'zod';
import { normalizeChannel, normalizePassword } from './code';
import { constantTimeEqual, fromBase64Url, lengthPrefixed, toBase64Url, utf8 } from './encoding';
import { JpakeError } from './errors';
import {
  type AbortMessage,
  DONE_TEXT,
  DoneMessage,
  type JpakeRole,
  KeyConfirmationMessage,
  partyIdFor,
  Round1Message,
  Round2Message,
  type SchnorrProofMessage,
} from './messages';
import { DONE_AAD_LABEL, openPayload, sealPayload } from './payload';
import {
  assertNotIdentity,
  CURVE_ORDER,
  decodePoint,
  decodeScalar,
  defaultRandom,
  encodePoint,
  encodeScalar,
  Fn,
  POINT_BYTES,
  Point,
  proveSchnorr,
  type RandomSource,
  randomScalar,
  SCALAR_BYTES,
  type SchnorrProof,
  verifySchnorr,
} from './schnorr';

/** HKDF info for the password scalar; the channel follows directly (it has a fixed length). */
export const PASSWORD_KDF_INFO = 'push pairing v1 password ';
export const TRANSCRIPT_LABEL = 'push pairing v1 transcript';
export const KC_KEY_INFO = 'push pairing v1 key confirmation';
export const PAYLOAD_KEY_INFO = 'push pairing v1 payload key';
export const KC_LABEL = 'KC_1_U';
export const MAC_BYTES = 32;

export type JpakeState = 'new' | 'round1' | 'round2' | 'finished' | 'confirmed' | 'failed';

export interface JpakePartyOptions {
  role: JpakeRole;
  /** The 4-character relay channel (case-insensitive). */
  channel: string;
  /** The 8-character pairing password (case-insensitive). */
  password: string;
  /** Random bytes source; defaults to crypto.getRandomValues (through @noble/hashes). */
  random?: RandomSource;
}

/**
 * The password scalar s = mapHashToField(HKDF-SHA256(ikm = utf8(password), salt = none,
 * info = utf8("push pairing v1 password " + channel), L = 48), n): in [1, n-1], never 0.
 */
export function passwordScalar(password: string, channel: string): bigint {
  const p = normalizePassword(password);
  const c = normalizeChannel(channel);
  const okm = hkdf(sha256, utf8(p), undefined, utf8(PASSWORD_KDF_INFO + c), 48);
  return Fn.fromBytes(mapHashToField(okm, CURVE_ORDER));
}

/** One side's round 1, decoded: the canonical bytes go into the transcript hash. */
interface Round1Data {
  G1: Point;
  G2: Point;
  zkp1: SchnorrProof;
  zkp2: SchnorrProof;
  bytes: Uint8Array[]; // G1, G2, zkp1.V, zkp1.r, zkp2.V, zkp2.r
}
interface Round2Data {
  A: Point;
  zkpA: SchnorrProof;
  bytes: Uint8Array[]; // A, zkpA.V, zkpA.r
}

function proofToMessage(p: SchnorrProof): SchnorrProofMessage {
  return { V: toBase64Url(encodePoint(p.V)), r: toBase64Url(encodeScalar(p.r)) };
}

function proofFromMessage(m: SchnorrProofMessage, what: string): SchnorrProof {
  const V = decodePoint(fromBase64Url(m.V, POINT_BYTES, `${what}.V`), `${what}.V`);
  const r = decodeScalar(fromBase64Url(m.r, SCALAR_BYTES, `${what}.r`), `${what}.r`);
  return { V, r };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new JpakeError(
      'invalid_message',
      `${what} is malformed${where}: ${issue?.message ?? ''}`,
    );
  }
  return result.data;
}

export class JpakeParty {
  readonly role: JpakeRole;
  readonly peerRole: JpakeRole;
  readonly channel: string;
  /** `push-pairing-<role>:<channel>`, bound into this side's proofs and tag. */
  readonly id: string;
  readonly peerId: string;

  #state: JpakeState = 'new';
  readonly #random: RandomSource;
  #s: bigint | undefined;
  #x2: bigint | undefined;
  #x2s: bigint | undefined;
  #own1: Round1Data | undefined;
  #peer1: Round1Data | undefined;
  #own2: Round2Data | undefined;
  #expectedPeerMac: Uint8Array | undefined;
  #payloadKey: Uint8Array | undefined;

  constructor(opts: JpakePartyOptions) {
    if (opts.role !== 'a' && opts.role !== 'b') {
      throw new JpakeError('invalid_message', "the role must be 'a' or 'b'");
    }
    this.role = opts.role;
    this.peerRole = opts.role === 'a' ? 'b' : 'a';
    this.channel = normalizeChannel(opts.channel);
    this.id = partyIdFor(this.role, this.channel);
    this.peerId = partyIdFor(this.peerRole, this.channel);
    this.#s = passwordScalar(opts.password, this.channel);
    this.#random = opts.random ?? defaultRandom;
  }

  get state(): JpakeState {
    return this.#state;
  }

  /** Round 1: G1 = x1·G, G2 = x2·G and Schnorr proofs of x1 and x2 (generator G). */
  round1(): Round1Message {
    this.#expect('new', 'round1');
    return this.#guard(() => {
      const G = Point.BASE;
      const x1 = randomScalar(this.#random);
      const x2 = randomScalar(this.#random);
      const G1 = G.multiply(x1);
      const G2 = G.multiply(x2);
      const zkp1 = proveSchnorr(G, x1, G1, this.id, this.#random);
      const zkp2 = proveSchnorr(G, x2, G2, this.id, this.#random);
      this.#x2 = x2;
      const message: Round1Message = {
        G1: toBase64Url(encodePoint(G1)),
        G2: toBase64Url(encodePoint(G2)),
        zkp1: proofToMessage(zkp1),
        zkp2: proofToMessage(zkp2),
      };
      this.#own1 = decodeRound1(message);
      this.#state = 'round1';
      return message;
    });
  }

  /**
   * Verifies the peer's round 1 (points valid and not the identity, proofs bound to the peer's
   * id, not our own message reflected) and returns round 2:
   * A = (own G1 + peer G1 + peer G2)·(x2·s) with a proof of x2·s for that generator.
   */
  round2(peerRound1: Round1Message | unknown): Round2Message {
    this.#expect('round1', 'round2');
    return this.#guard(() => {
      const peer = decodeRound1(parse(Round1Message, peerRound1, 'the round 1 message'));
      const own = this.#own1!;
      // Reflection: our own G1/G2 coming back (the id binding below would also catch it).
      for (const p of [peer.G1, peer.G2]) {
        if (p.equals(own.G1) || p.equals(own.G2)) {
          throw new JpakeError('invalid_proof', 'the round 1 message is our own (reflected)');
        }
      }
      const G = Point.BASE;
      verifySchnorr(G, peer.G1, peer.zkp1, this.peerId);
      verifySchnorr(G, peer.G2, peer.zkp2, this.peerId);
      // RFC 8236 §3: the peer's second point (G4 for a, G2 for b) must not be the identity;
      // decodePoint already rejected the identity for every point.
      assertNotIdentity(peer.G2, "the peer's G2");
      const gen = own.G1.add(peer.G1).add(peer.G2);
      assertNotIdentity(gen, 'the round 2 generator');
      const x2s = Fn.mul(this.#x2!, this.#s!);
      const A = gen.multiply(x2s);
      const zkpA = proveSchnorr(gen, x2s, A, this.id, this.#random);
      this.#peer1 = peer;
      this.#x2s = x2s;
      const message: Round2Message = { A: toBase64Url(encodePoint(A)), zkpA: proofToMessage(zkpA) };
      this.#own2 = decodeRound2(message);
      this.#state = 'round2';
      return message;
    });
  }

  /**
   * Verifies the peer's round 2 (generator peer G1 + own G1 + own G2), computes
   * K = (B − peer G2·(x2·s))·x2, derives the keys and returns this side's confirmation tag.
   */
  finish(peerRound2: Round2Message | unknown): KeyConfirmationMessage {
    this.#expect('round2', 'finish');
    return this.#guard(() => {
      const peer2 = decodeRound2(parse(Round2Message, peerRound2, 'the round 2 message'));
      const own1 = this.#own1!;
      const peer1 = this.#peer1!;
      if (peer2.A.equals(this.#own2!.A)) {
        throw new JpakeError('invalid_proof', 'the round 2 message is our own (reflected)');
      }
      const gen = peer1.G1.add(own1.G1).add(own1.G2);
      assertNotIdentity(gen, "the peer's round 2 generator");
      verifySchnorr(gen, peer2.A, peer2.zkpA, this.peerId);

      const blinded = peer2.A.subtract(peer1.G2.multiply(this.#x2s!));
      assertNotIdentity(blinded, 'B − G4·(x2·s)');
      const K = blinded.multiply(this.#x2!);
      assertNotIdentity(K, 'the shared point K');
      const ikm = K.toBytes(true).subarray(1); // the 32-byte x-coordinate

      const [a1, b1] = this.role === 'a' ? [own1, peer1] : [peer1, own1];
      const [a2, b2] = this.role === 'a' ? [this.#own2!, peer2] : [peer2, this.#own2!];
      const transcriptHash = sha256(
        lengthPrefixed(
          TRANSCRIPT_LABEL,
          this.channel,
          partyIdFor('a', this.channel),
          partyIdFor('b', this.channel),
          ...a1.bytes,
          ...b1.bytes,
          ...a2.bytes,
          ...b2.bytes,
        ),
      );
      const kcKey = hkdf(sha256, ikm, transcriptHash, utf8(KC_KEY_INFO), 32);
      this.#payloadKey = hkdf(sha256, ikm, transcriptHash, utf8(PAYLOAD_KEY_INFO), 32);
      const ownMac = keyConfirmationTag(kcKey, this.id, this.peerId, own1, peer1);
      this.#expectedPeerMac = keyConfirmationTag(kcKey, this.peerId, this.id, peer1, own1);
      kcKey.fill(0);
      ikm.fill(0);
      this.#x2 = this.#x2s = this.#s = undefined;
      this.#state = 'finished';
      return { mac: toBase64Url(ownMac) };
    });
  }

  /**
   * Checks the peer's tag in constant time. A wrong tag (almost always a mistyped code) throws
   * JpakeError('key_confirmation_failed'); the caller then writes the abort step, which makes
   * the relay kill the channel. Nothing secret may be sent before this returns.
   */
  confirm(peerConfirmation: KeyConfirmationMessage | unknown): void {
    this.#expect('finished', 'confirm');
    this.#guard(() => {
      const msg = parse(KeyConfirmationMessage, peerConfirmation, 'the key confirmation message');
      const mac = fromBase64Url(msg.mac, MAC_BYTES, 'mac');
      if (!constantTimeEqual(mac, this.#expectedPeerMac!)) {
        throw new JpakeError(
          'key_confirmation_failed',
          'key confirmation failed: the two devices did not use the same code',
        );
      }
      this.#expectedPeerMac = undefined;
      this.#state = 'confirmed';
    });
  }

  /** Seals bytes for the peer (base64url of nonce ‖ ciphertext ‖ tag). Only after confirm(). */
  sealPayload(plaintext: Uint8Array): string {
    this.#expect('confirmed', 'sealPayload');
    return toBase64Url(
      sealPayload(
        this.#payloadKey!,
        plaintext,
        { channel: this.channel, sender: this.role },
        this.#random,
      ),
    );
  }

  /** Opens what the peer sealed; throws decrypt_failed if it was altered. Only after confirm(). */
  openPayload(sealed: string): Uint8Array {
    this.#expect('confirmed', 'openPayload');
    let bytes: Uint8Array;
    try {
      bytes = fromBase64Url(sealed, undefined, 'the sealed payload');
    } catch {
      throw new JpakeError('decrypt_failed', 'the sealed payload is not base64url');
    }
    return openPayload(this.#payloadKey!, bytes, { channel: this.channel, sender: this.peerRole });
  }

  /**
   * The `done` step (role a only, after confirm()): DONE_TEXT sealed like the payload, but with
   * the AAD label "push pairing v1 done" and a's id, so the relay can neither forge it, nor pass
   * the payload or a `done` of another run off as one, nor reflect anything b sealed.
   */
  sealDone(): DoneMessage {
    this.#expect('confirmed', 'sealDone');
    this.#expectRole('a', 'sealDone');
    const sealed = sealPayload(
      this.#payloadKey!,
      utf8(DONE_TEXT),
      { channel: this.channel, sender: 'a', label: DONE_AAD_LABEL },
      this.#random,
    );
    return { sealed: toBase64Url(sealed) };
  }

  /**
   * Checks the peer's `done` (role b only, after confirm()): it must open under the session key
   * with a's id and hold exactly DONE_TEXT. Anything else throws (invalid_message for a wrong
   * shape, decrypt_failed for a forgery) and poisons the party: the run is over either way.
   */
  openDone(done: DoneMessage | unknown): void {
    this.#expect('confirmed', 'openDone');
    this.#expectRole('b', 'openDone');
    this.#guard(() => {
      const msg = parse(DoneMessage, done, 'the done message');
      const bytes = fromBase64Url(msg.sealed, undefined, 'the sealed done text');
      const text = openPayload(this.#payloadKey!, bytes, {
        channel: this.channel,
        sender: 'a',
        label: DONE_AAD_LABEL,
      });
      // The AEAD tag already authenticates it; the text check pins what was sealed.
      if (!constantTimeEqual(text, utf8(DONE_TEXT))) {
        throw new JpakeError('decrypt_failed', 'the done message holds the wrong text');
      }
    });
  }

  /** A copy of the 32-byte payload key, for callers that need their own framing. */
  get payloadKey(): Uint8Array {
    this.#expect('confirmed', 'payloadKey');
    return this.#payloadKey!.slice();
  }

  #expect(state: JpakeState, method: string): void {
    if (this.#state !== state) {
      throw new JpakeError(
        'bad_state',
        this.#state === 'failed'
          ? `${method}() after a failed step: start a new pairing`
          : `${method}() needs state ${state}, but the party is in state ${this.#state}`,
      );
    }
  }

  #expectRole(role: JpakeRole, method: string): void {
    if (this.role !== role) {
      throw new JpakeError(
        'bad_state',
        `${method}() is for role ${role}, this party is ${this.role}`,
      );
    }
  }

  #guard<T>(step: () => T): T {
    try {
      return step();
    } catch (e) {
      this.#fail();
      if (e instanceof JpakeError) throw e;
      throw new JpakeError('invalid_message', e instanceof Error ? e.message : String(e));
    }
  }

  #fail(): void {
    this.#state = 'failed';
    this.#x2 = this.#x2s = this.#s = undefined;
    this.#expectedPeerMac = undefined;
    this.#payloadKey?.fill(0);
    this.#payloadKey = undefined;
  }
}

function decodeRound1(m: Round1Message): Round1Data {
  const G1 = decodePoint(fromBase64Url(m.G1, POINT_BYTES, 'G1'), 'G1');
  const G2 = decodePoint(fromBase64Url(m.G2, POINT_BYTES, 'G2'), 'G2');
  const zkp1 = proofFromMessage(m.zkp1, 'zkp1');
  const zkp2 = proofFromMessage(m.zkp2, 'zkp2');
  return {
    G1,
    G2,
    zkp1,
    zkp2,
    bytes: [
      encodePoint(G1),
      encodePoint(G2),
      encodePoint(zkp1.V),
      encodeScalar(zkp1.r),
      encodePoint(zkp2.V),
      encodeScalar(zkp2.r),
    ],
  };
}

function decodeRound2(m: Round2Message): Round2Data {
  const A = decodePoint(fromBase64Url(m.A, POINT_BYTES, 'A'), 'A');
  const zkpA = proofFromMessage(m.zkpA, 'zkpA');
  return { A, zkpA, bytes: [encodePoint(A), encodePoint(zkpA.V), encodeScalar(zkpA.r)] };
}

/**
 * RFC 8236 §4 / NIST SP 800-56A: HMAC-SHA256(kcKey, len‖"KC_1_U" ‖ len‖senderId ‖
 * len‖receiverId ‖ len‖sender G1 ‖ len‖sender G2 ‖ len‖receiver G1 ‖ len‖receiver G2).
 */
function keyConfirmationTag(
  kcKey: Uint8Array,
  senderId: string,
  receiverId: string,
  sender: Round1Data,
  receiver: Round1Data,
): Uint8Array {
  return hmac(
    sha256,
    kcKey,
    lengthPrefixed(
      KC_LABEL,
      senderId,
      receiverId,
      sender.bytes[0]!,
      sender.bytes[1]!,
      receiver.bytes[0]!,
      receiver.bytes[1]!,
    ),
  );
}

/** The abort-step message for an error (what the add-on writes to the `abort` step). */
export function abortMessageFor(error: unknown): AbortMessage {
  if (error instanceof JpakeError)
    return { error: error.code, message: error.message.slice(0, 500) };
  return { error: 'aborted' };
}
