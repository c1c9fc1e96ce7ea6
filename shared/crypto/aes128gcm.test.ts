import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  type ECDH,
  hkdfSync,
  randomBytes as nodeRandomBytes,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import {
  decryptPushPayload,
  deriveContentKeys,
  deriveWebPushIkm,
  encryptPushPayload,
  PushDecryptError,
} from './aes128gcm.js';
import {
  concatBytes,
  decodeBase64Url,
  encodeBase64Url,
  utf8Decode,
  utf8Encode,
} from './base64url.js';

// http_ece ships no types; this is the part of its API the tests use.
interface EceParams {
  version: 'aes128gcm';
  privateKey: ECDH;
  authSecret: string;
  dh?: string;
  rs?: number;
  pad?: number;
}
const ece = createRequire(import.meta.url)('http_ece') as {
  encrypt(buffer: Buffer, params: EceParams): Buffer;
  decrypt(buffer: Buffer, params: EceParams): Buffer;
};

/** RFC 8291 §5 and Appendix A, with whitespace removed from the printed base64url. */
const RFC = {
  plaintext: 'When I grow up, I want to be a watermelon',
  asPublic:
    'BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8',
  asPrivate: 'yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw',
  uaPublic:
    'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  uaPrivate: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
  salt: 'DGv6ra1nlYgDCS1FRnbzlw',
  authSecret: 'BTBZMqHH6r4Tts7J_aSIgg',
  ecdhSecret: 'kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs',
  ikm: 'S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg',
  cek: 'oIhVW04MRdy2XN9CiKLxTg',
  nonce: '4h_95klXJ5E_qnoN',
  body:
    'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml' +
    'mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT' +
    'pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
};

const rfcKeys = {
  uaPrivateKey: decodeBase64Url(RFC.uaPrivate),
  uaPublicKey: decodeBase64Url(RFC.uaPublic),
  authSecret: decodeBase64Url(RFC.authSecret),
};

interface Receiver {
  ecdh: ECDH;
  uaPrivateKey: Uint8Array;
  uaPublicKey: Uint8Array;
  authSecret: Uint8Array;
}

function newReceiver(): Receiver {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    ecdh,
    // Node drops leading zero bytes of the private key (1 time in 256); the RFC form is 32 bytes.
    uaPrivateKey: new Uint8Array(Buffer.from(ecdh.getPrivateKey('hex').padStart(64, '0'), 'hex')),
    uaPublicKey: new Uint8Array(ecdh.getPublicKey()),
    authSecret: new Uint8Array(nodeRandomBytes(16)),
  };
}

/** Keys of RFC 8291 §3.4 computed with Node's own ECDH and HKDF, not the code under test. */
function referenceKeys(
  receiver: Receiver,
  asPublicKey: Uint8Array,
  salt: Uint8Array,
): { key: Buffer; nonce: Buffer } {
  const ecdhSecret = receiver.ecdh.computeSecret(asPublicKey);
  const keyInfo = Buffer.concat([
    Buffer.from('WebPush: info\0'),
    receiver.uaPublicKey,
    asPublicKey,
  ]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, receiver.authSecret, keyInfo, 32));
  return {
    key: Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: aes128gcm\0', 16)),
    nonce: Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: nonce\0', 12)),
  };
}

function referenceNonce(base: Buffer, seq: number): Buffer {
  const nonce = Buffer.from(base);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
  return nonce;
}

/** A single-record RFC 8291 decrypt written directly against the RFC with node:crypto. */
function referenceDecrypt(receiver: Receiver, body: Uint8Array): Uint8Array {
  const buf = Buffer.from(body);
  const salt = buf.subarray(0, 16);
  const idLength = buf[20]!;
  const asPublicKey = buf.subarray(21, 21 + idLength);
  const record = buf.subarray(21 + idLength);
  const { key, nonce } = referenceKeys(receiver, asPublicKey, salt);
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const plain = Buffer.concat([
    decipher.update(record.subarray(0, record.length - 16)),
    decipher.final(),
  ]);
  let end = plain.length - 1;
  while (plain[end] === 0) end--;
  expect(plain[end]).toBe(2);
  return new Uint8Array(plain.subarray(0, end));
}

/**
 * Builds a multi-record body by hand: each entry is one record's data, delimiter and padding.
 * Sizes are the caller's business, so tests can also build bodies a correct sender never would.
 */
function referenceMultiRecordBody(
  receiver: Receiver,
  rs: number,
  records: { data: Uint8Array; delimiter: number; padding: number }[],
): Uint8Array {
  const sender = createECDH('prime256v1');
  const asPublicKey = sender.generateKeys();
  const salt = nodeRandomBytes(16);
  const { key, nonce } = referenceKeys(receiver, asPublicKey, salt);
  const header = Buffer.alloc(21);
  salt.copy(header, 0);
  header.writeUInt32BE(rs, 16);
  header[20] = asPublicKey.length;
  const encrypted = records.map(({ data, delimiter, padding }, seq) => {
    const cipher = createCipheriv('aes-128-gcm', key, referenceNonce(nonce, seq));
    const plain = Buffer.concat([data, Buffer.from([delimiter]), Buffer.alloc(padding)]);
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  });
  return new Uint8Array(Buffer.concat([header, asPublicKey, ...encrypted]));
}

function decryptFor(receiver: Receiver, body: Uint8Array): Uint8Array {
  return decryptPushPayload({ body, ...receiver });
}

function eceDecrypt(receiver: Receiver, body: Uint8Array): Uint8Array {
  return new Uint8Array(
    ece.decrypt(Buffer.from(body), {
      version: 'aes128gcm',
      privateKey: receiver.ecdh,
      authSecret: encodeBase64Url(receiver.authSecret),
    }),
  );
}

describe('RFC 8291 Appendix A', () => {
  it('reproduces the intermediate values', () => {
    const ikm = deriveWebPushIkm(
      decodeBase64Url(RFC.ecdhSecret),
      rfcKeys.authSecret,
      rfcKeys.uaPublicKey,
      decodeBase64Url(RFC.asPublic),
    );
    expect(encodeBase64Url(ikm)).toBe(RFC.ikm);
    const { cek, nonce } = deriveContentKeys(ikm, decodeBase64Url(RFC.salt));
    expect(encodeBase64Url(cek)).toBe(RFC.cek);
    expect(encodeBase64Url(nonce)).toBe(RFC.nonce);
  });

  it('encrypts the example byte for byte (144 bytes; the printed Content-Length 145 is an erratum)', () => {
    const body = encryptPushPayload({
      plaintext: utf8Encode(RFC.plaintext),
      uaPublicKey: rfcKeys.uaPublicKey,
      authSecret: rfcKeys.authSecret,
      asPrivateKey: decodeBase64Url(RFC.asPrivate),
      salt: decodeBase64Url(RFC.salt),
    });
    expect(encodeBase64Url(body)).toBe(RFC.body);
    expect(body).toHaveLength(144);
  });

  it('decrypts the example', () => {
    const plain = decryptPushPayload({ body: decodeBase64Url(RFC.body), ...rfcKeys });
    expect(utf8Decode(plain)).toBe(RFC.plaintext);
  });
});

describe('interoperability with npm web-push', () => {
  it('decrypts what webpush.generateRequestDetails sends', () => {
    const receiver = newReceiver();
    const details = webpush.generateRequestDetails(
      {
        endpoint: 'https://push.example.net/push/abc',
        keys: {
          p256dh: encodeBase64Url(receiver.uaPublicKey),
          auth: encodeBase64Url(receiver.authSecret),
        },
      },
      '{"title":"Hello","body":"from web-push"}',
    );
    expect(details.headers['Content-Encoding']).toBe('aes128gcm');
    const body = details.body;
    expect(body).not.toBeNull();
    expect(utf8Decode(decryptFor(receiver, new Uint8Array(body!)))).toBe(
      '{"title":"Hello","body":"from web-push"}',
    );
  });

  it('decrypts webpush.encrypt output for payloads from 0 to 3993 bytes', () => {
    const receiver = newReceiver();
    for (const size of [0, 1, 15, 16, 17, 100, 3000, 3993]) {
      const payload = nodeRandomBytes(size);
      const { cipherText } = webpush.encrypt(
        encodeBase64Url(receiver.uaPublicKey),
        encodeBase64Url(receiver.authSecret),
        payload,
        'aes128gcm',
      );
      expect(decryptFor(receiver, new Uint8Array(cipherText))).toEqual(new Uint8Array(payload));
    }
  });

  it('produces bodies that http_ece (web-push’s decoder) and a node:crypto reference decrypt', () => {
    const receiver = newReceiver();
    for (const size of [0, 1, 41, 1000, 3993]) {
      const plaintext = new Uint8Array(nodeRandomBytes(size));
      const body = encryptPushPayload({
        plaintext,
        uaPublicKey: receiver.uaPublicKey,
        authSecret: receiver.authSecret,
      });
      expect(body).toHaveLength(86 + size + 1 + 16);
      expect(eceDecrypt(receiver, body)).toEqual(plaintext);
      expect(referenceDecrypt(receiver, body)).toEqual(plaintext);
    }
  });

  it('pads with zeros after the delimiter', () => {
    const receiver = newReceiver();
    const plaintext = utf8Encode('short');
    const body = encryptPushPayload({
      plaintext,
      uaPublicKey: receiver.uaPublicKey,
      authSecret: receiver.authSecret,
      padding: 200,
    });
    expect(body).toHaveLength(86 + 5 + 1 + 200 + 16);
    expect(eceDecrypt(receiver, body)).toEqual(plaintext);
    expect(decryptFor(receiver, body)).toEqual(plaintext);
  });

  it('uses a fresh sender key and salt for every message', () => {
    const receiver = newReceiver();
    const opts = {
      plaintext: utf8Encode('x'),
      uaPublicKey: receiver.uaPublicKey,
      authSecret: receiver.authSecret,
    };
    const a = encryptPushPayload(opts);
    const b = encryptPushPayload(opts);
    expect(a.subarray(0, 16)).not.toEqual(b.subarray(0, 16));
    expect(a.subarray(21, 86)).not.toEqual(b.subarray(21, 86));
  });
});

describe('multiple records', () => {
  const data = (n: number, fill: number) => new Uint8Array(n).fill(fill);

  it('decrypts a hand-built body whose records carry data and padding in different shares', () => {
    const receiver = newReceiver();
    const rs = 40; // 24 bytes of data or padding per record besides the delimiter and tag
    const body = referenceMultiRecordBody(receiver, rs, [
      { data: data(23, 0x61), delimiter: 1, padding: 0 },
      { data: data(10, 0x62), delimiter: 1, padding: 13 },
      { data: new Uint8Array(0), delimiter: 1, padding: 23 },
      { data: data(5, 0x63), delimiter: 2, padding: 3 },
    ]);
    expect(body).toHaveLength(86 + 3 * rs + 5 + 1 + 3 + 16);
    expect(decryptFor(receiver, body)).toEqual(
      concatBytes(data(23, 0x61), data(10, 0x62), data(5, 0x63)),
    );
    // The reference body is itself valid for http_ece, so the test builder is not the only judge.
    expect(eceDecrypt(receiver, body)).toEqual(decryptFor(receiver, body));
  });

  it('decrypts http_ece multi-record output with padding', () => {
    const receiver = newReceiver();
    const plaintext = nodeRandomBytes(500);
    const sender = createECDH('prime256v1');
    sender.generateKeys();
    const body = ece.encrypt(plaintext, {
      version: 'aes128gcm',
      privateKey: sender,
      dh: encodeBase64Url(receiver.uaPublicKey),
      authSecret: encodeBase64Url(receiver.authSecret),
      rs: 64,
      pad: 70,
    });
    expect(decryptFor(receiver, new Uint8Array(body))).toEqual(new Uint8Array(plaintext));
  });

  it('encrypts into several records when the record size asks for it', () => {
    const receiver = newReceiver();
    for (const [size, padding] of [
      [0, 0],
      [13, 0],
      [26, 0],
      [100, 0],
      [100, 7],
      [20, 100],
    ] as const) {
      const plaintext = new Uint8Array(nodeRandomBytes(size));
      const body = encryptPushPayload({
        plaintext,
        uaPublicKey: receiver.uaPublicKey,
        authSecret: receiver.authSecret,
        recordSize: 30,
        padding,
      });
      const records = Math.max(1, Math.ceil((size + padding) / 13));
      expect(body).toHaveLength(86 + size + padding + records * 17);
      expect(decryptFor(receiver, body)).toEqual(plaintext);
      expect(eceDecrypt(receiver, body)).toEqual(plaintext);
    }
  });

  it('rejects a body cut at a record boundary', () => {
    const receiver = newReceiver();
    const body = encryptPushPayload({
      plaintext: new Uint8Array(100),
      uaPublicKey: receiver.uaPublicKey,
      authSecret: receiver.authSecret,
      recordSize: 30,
    });
    // 100 bytes in records of 13: seven full records of 30 bytes, then a last one of 9 + 17.
    expect(body).toHaveLength(86 + 7 * 30 + 26);
    expect(() => decryptFor(receiver, body.subarray(0, body.length - 26))).toThrow(
      /last record is not marked/,
    );
    expect(() => decryptFor(receiver, body.subarray(0, 86 + 30))).toThrow(PushDecryptError);
  });

  it('rejects records swapped or a "last" record followed by another', () => {
    const receiver = newReceiver();
    const swapped = encryptPushPayload({
      plaintext: new Uint8Array(50).fill(7),
      uaPublicKey: receiver.uaPublicKey,
      authSecret: receiver.authSecret,
      recordSize: 30,
    });
    const first = swapped.slice(86, 116);
    swapped.set(swapped.slice(116, 146), 86);
    swapped.set(first, 116);
    expect(() => decryptFor(receiver, swapped)).toThrow(PushDecryptError);

    const earlyLast = referenceMultiRecordBody(receiver, 40, [
      { data: data(23, 1), delimiter: 2, padding: 0 },
      { data: data(3, 2), delimiter: 2, padding: 0 },
    ]);
    expect(() => decryptFor(receiver, earlyLast)).toThrow(/invalid padding delimiter/);
  });

  it('rejects a record with no delimiter or an unknown one', () => {
    const receiver = newReceiver();
    const allZero = referenceMultiRecordBody(receiver, 4096, [
      { data: new Uint8Array(0), delimiter: 0, padding: 4 },
    ]);
    expect(() => decryptFor(receiver, allZero)).toThrow(/no padding delimiter/);
    const three = referenceMultiRecordBody(receiver, 4096, [
      { data: data(4, 9), delimiter: 3, padding: 0 },
    ]);
    expect(() => decryptFor(receiver, three)).toThrow(PushDecryptError);
  });
});

describe('tampering and bad input', () => {
  const rfcBody = () => decodeBase64Url(RFC.body);

  it('detects a flipped bit in the salt, the key id length, the sender key, the ciphertext and the tag', () => {
    const original = rfcBody();
    // Bytes 16–19 are the record size, which is not authenticated: any rs at least as large as
    // the single record reads the same body, so those positions are skipped.
    const positions = [...original.keys()].filter((i) => i < 16 || i >= 20);
    for (const i of positions) {
      const body = original.slice();
      body[i] = body[i]! ^ 0x01;
      expect(() => decryptPushPayload({ body, ...rfcKeys }), `byte ${i}`).toThrow(PushDecryptError);
    }
  });

  it('rejects truncation anywhere', () => {
    const original = rfcBody();
    for (let length = 0; length < original.length; length++) {
      expect(
        () => decryptPushPayload({ body: original.subarray(0, length), ...rfcKeys }),
        `length ${length}`,
      ).toThrow(PushDecryptError);
    }
  });

  it('rejects trailing garbage', () => {
    const body = concatBytes(rfcBody(), new Uint8Array([0]));
    expect(() => decryptPushPayload({ body, ...rfcKeys })).toThrow(PushDecryptError);
  });

  it('rejects the wrong private key or auth secret', () => {
    const other = newReceiver();
    const body = rfcBody();
    expect(() =>
      decryptPushPayload({ ...rfcKeys, body, uaPrivateKey: other.uaPrivateKey }),
    ).toThrow(PushDecryptError);
    expect(() => decryptPushPayload({ ...rfcKeys, body, authSecret: other.authSecret })).toThrow(
      PushDecryptError,
    );
  });

  it('rejects a record size below the RFC 8188 minimum', () => {
    const body = rfcBody();
    new DataView(body.buffer).setUint32(16, 17);
    expect(() => decryptPushPayload({ body, ...rfcKeys })).toThrow(/too small/);
  });

  it('names the error class', () => {
    const error = (() => {
      try {
        decryptPushPayload({ body: new Uint8Array(3), ...rfcKeys });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PushDecryptError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('PushDecryptError');
  });

  it('refuses bad encryption parameters', () => {
    const { uaPublicKey, authSecret } = rfcKeys;
    const plaintext = new Uint8Array(1);
    expect(() =>
      encryptPushPayload({ plaintext, uaPublicKey, authSecret, recordSize: 17 }),
    ).toThrow(RangeError);
    expect(() => encryptPushPayload({ plaintext, uaPublicKey, authSecret, padding: -1 })).toThrow(
      RangeError,
    );
    expect(() =>
      encryptPushPayload({ plaintext, uaPublicKey: uaPublicKey.subarray(1), authSecret }),
    ).toThrow(RangeError);
    expect(() =>
      encryptPushPayload({ plaintext, uaPublicKey, authSecret: new Uint8Array(15) }),
    ).toThrow(RangeError);
  });
});
