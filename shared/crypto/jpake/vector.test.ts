// A known-answer test. The run uses fixed scalars, and every value is recomputed here straight
// from the formulas in docs/pairing-transcript.md with raw @noble primitives (no code from
// party.ts or schnorr.ts), so the document, the code and test-vector.json cannot drift apart.
// Regenerate test-vector.json (only on a deliberate format change) with
//   JPAKE_WRITE_VECTOR=1 npx vitest run --project unit shared/crypto/jpake/vector
import { readFileSync, writeFileSync } from 'node:fs';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { JpakeParty } from './party';
import { scalarRandom } from './test-helpers';

const VECTOR_PATH = new URL('./test-vector.json', import.meta.url);
const P = p256.Point;
const G = P.BASE;
const n = P.Fn.ORDER;
const mod = (x: bigint) => ((x % n) + n) % n;
const os2ip = (b: Uint8Array) => BigInt(`0x${bytesToHex(b) || '0'}`);
const i2osp = (x: bigint, len: number) => hexToBytes(x.toString(16).padStart(len * 2, '0'));
const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const unb64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
const pt = (s: string) => P.fromBytes(unb64u(s));
const lp = (...parts: Array<Uint8Array | string>) =>
  concatBytes(
    ...parts.flatMap((p) => {
      const b = typeof p === 'string' ? utf8ToBytes(p) : p;
      return [i2osp(BigInt(b.length), 4), b];
    }),
  );

const CHANNEL = 'k7mq';
const PASSWORD = 'r4tz9hwe';
const label = (name: string) =>
  mod(os2ip(sha256(utf8ToBytes(`push pairing v1 test vector ${name}`))));
const SCALARS = {
  a: {
    x1: label('a x1'),
    x2: label('a x2'),
    v1: label('a v1'),
    v2: label('a v2'),
    vA: label('a vA'),
  },
  b: {
    x1: label('b x1'),
    x2: label('b x2'),
    v1: label('b v1'),
    v2: label('b v2'),
    vA: label('b vA'),
  },
};
const NONCE = sha256(utf8ToBytes('push pairing v1 test vector nonce')).subarray(0, 24);
const PLAINTEXT =
  '{"serverUrl":"https://push.example","username":"alice","clientId":"c-1","clientToken":"t-1","secretKey":"k-1"}';

function run() {
  const mk = (role: 'a' | 'b') => {
    const s = SCALARS[role];
    return new JpakeParty({
      role,
      channel: CHANNEL,
      password: PASSWORD,
      random: scalarRandom([s.x1, s.x2, s.v1, s.v2, s.vA], (len) => {
        if (len !== 24) throw new Error('unexpected random request');
        return NONCE.slice();
      }),
    });
  };
  const a = mk('a');
  const b = mk('b');
  const a1 = a.round1();
  const b1 = b.round1();
  const a2 = a.round2(b1);
  const b2 = b.round2(a1);
  const a3 = a.finish(b2);
  const b3 = b.finish(a2);
  a.confirm(b3);
  b.confirm(a3);
  const sealed = b.sealPayload(utf8ToBytes(PLAINTEXT));
  expect(new TextDecoder().decode(a.openPayload(sealed))).toBe(PLAINTEXT);
  return { a1, b1, a2, b2, a3, b3, payload: { sealed }, payloadKey: bytesToHex(a.payloadKey) };
}

/** Everything recomputed from the document's formulas. */
function fromSpec(messages: ReturnType<typeof run>) {
  const idA = `push-pairing-a:${CHANNEL}`;
  const idB = `push-pairing-b:${CHANNEL}`;
  const okm = hkdf(
    sha256,
    utf8ToBytes(PASSWORD),
    undefined,
    utf8ToBytes(`push pairing v1 password ${CHANNEL}`),
    48,
  );
  const s = (os2ip(okm) % (n - 1n)) + 1n; // mapHashToField: [1, n-1]
  const enc = (p: typeof G) => p.toBytes(false);
  const challenge = (gen: typeof G, V: typeof G, X: typeof G, id: string) =>
    mod(os2ip(sha256(lp(enc(gen), enc(V), enc(X), id, 'push pairing v1 schnorr'))));
  const prove = (gen: typeof G, x: bigint, v: bigint, id: string) => {
    const X = gen.multiply(x);
    const V = gen.multiply(v);
    return { X, V, r: mod(v - x * challenge(gen, V, X, id)) };
  };
  const round1 = (role: 'a' | 'b') => {
    const sc = SCALARS[role];
    const id = role === 'a' ? idA : idB;
    const p1 = prove(G, sc.x1, sc.v1, id);
    const p2 = prove(G, sc.x2, sc.v2, id);
    return {
      G1: b64u(enc(p1.X)),
      G2: b64u(enc(p2.X)),
      zkp1: { V: b64u(enc(p1.V)), r: b64u(i2osp(p1.r, 32)) },
      zkp2: { V: b64u(enc(p2.V)), r: b64u(i2osp(p2.r, 32)) },
    };
  };
  const A1 = round1('a');
  const B1 = round1('b');
  const round2 = (role: 'a' | 'b') => {
    const [own, peer] = role === 'a' ? [A1, B1] : [B1, A1];
    const sc = SCALARS[role];
    const gen = pt(own.G1).add(pt(peer.G1)).add(pt(peer.G2));
    const pr = prove(gen, mod(sc.x2 * s), sc.vA, role === 'a' ? idA : idB);
    return { A: b64u(enc(pr.X)), zkpA: { V: b64u(enc(pr.V)), r: b64u(i2osp(pr.r, 32)) } };
  };
  const A2 = round2('a');
  const B2 = round2('b');
  // K as a computes it, and as b computes it
  const Ka = pt(B2.A)
    .subtract(pt(B1.G2).multiply(mod(SCALARS.a.x2 * s)))
    .multiply(SCALARS.a.x2);
  const Kb = pt(A2.A)
    .subtract(pt(A1.G2).multiply(mod(SCALARS.b.x2 * s)))
    .multiply(SCALARS.b.x2);
  expect(Ka.equals(Kb)).toBe(true);
  const ikm = Ka.toBytes(false).subarray(1, 33);
  const r1 = (m: typeof A1) => [m.G1, m.G2, m.zkp1.V, m.zkp1.r, m.zkp2.V, m.zkp2.r].map(unb64u);
  const r2 = (m: typeof A2) => [m.A, m.zkpA.V, m.zkpA.r].map(unb64u);
  const th = sha256(
    lp('push pairing v1 transcript', CHANNEL, idA, idB, ...r1(A1), ...r1(B1), ...r2(A2), ...r2(B2)),
  );
  const kcKey = hkdf(sha256, ikm, th, utf8ToBytes('push pairing v1 key confirmation'), 32);
  const payloadKey = hkdf(sha256, ikm, th, utf8ToBytes('push pairing v1 payload key'), 32);
  const tag = (me: string, peer: string, mine: typeof A1, theirs: typeof A1) =>
    b64u(
      hmac(
        sha256,
        kcKey,
        lp(
          'KC_1_U',
          me,
          peer,
          unb64u(mine.G1),
          unb64u(mine.G2),
          unb64u(theirs.G1),
          unb64u(theirs.G2),
        ),
      ),
    );
  const aad = lp('push pairing v1 payload', CHANNEL, idB);
  const sealed = b64u(
    concatBytes(NONCE, xchacha20poly1305(payloadKey, NONCE, aad).encrypt(utf8ToBytes(PLAINTEXT))),
  );
  expect(messages.payload.sealed).toBe(sealed);
  return {
    s: bytesToHex(i2osp(s, 32)),
    K_x: bytesToHex(ikm),
    transcriptHash: bytesToHex(th),
    kcKey: bytesToHex(kcKey),
    payloadKey: bytesToHex(payloadKey),
    messages: {
      a1: A1,
      b1: B1,
      a2: A2,
      b2: B2,
      a3: { mac: tag(idA, idB, A1, B1) },
      b3: { mac: tag(idB, idA, B1, A1) },
      payload: { sealed },
    },
  };
}

describe('known-answer vector', () => {
  it('the implementation matches the documented formulas and test-vector.json', () => {
    const got = run();
    const spec = fromSpec(got);
    const { payloadKey, ...messages } = got;
    expect(messages).toEqual(spec.messages);
    expect(payloadKey).toBe(spec.payloadKey);

    const hex = (x: bigint) => bytesToHex(i2osp(x, 32));
    const vector = {
      description:
        'EC-J-PAKE pairing transcript (docs/pairing-transcript.md). Scalars are given directly; v1, v2, vA are the Schnorr commitments of round 1 (x1, x2) and round 2.',
      channel: CHANNEL,
      password: PASSWORD,
      code: `${CHANNEL}-${PASSWORD.slice(0, 4)}-${PASSWORD.slice(4)}`,
      scalars: {
        a: Object.fromEntries(Object.entries(SCALARS.a).map(([k, v]) => [k, hex(v)])),
        b: Object.fromEntries(Object.entries(SCALARS.b).map(([k, v]) => [k, hex(v)])),
      },
      payloadNonce: bytesToHex(NONCE),
      payloadPlaintext: PLAINTEXT,
      s: spec.s,
      K_x: spec.K_x,
      transcriptHash: spec.transcriptHash,
      kcKey: spec.kcKey,
      payloadKey: spec.payloadKey,
      messages: spec.messages,
    };
    if (process.env.JPAKE_WRITE_VECTOR === '1') {
      writeFileSync(VECTOR_PATH, `${JSON.stringify(vector, null, 2)}\n`);
    }
    expect(JSON.parse(readFileSync(VECTOR_PATH, 'utf8'))).toEqual(vector);
  });
});
