// The legacy aesgcm coding (docs/protocol.md §4): byte for byte against the example of
// draft-ietf-webpush-encryption-04, both directions against http_ece (the decoder and encoder
// npm web-push uses), and against what web-push and @pushforge/builder actually send. The
// header parsers are what the server uses to answer 400, so their refusals are tested here too.
import {
  createCipheriv,
  createECDH,
  type ECDH,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { buildPushHTTPRequest } from '@pushforge/builder';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { PushDecryptError } from './aes128gcm.js';
import {
  decryptAesgcm,
  deriveAesgcmKeys,
  encryptAesgcm,
  PushHeaderError,
  parseCryptoKeyHeader,
  parseEncryptionHeader,
  parseParamList,
} from './aesgcm.js';
import {
  concatBytes,
  decodeBase64Url,
  encodeBase64Url,
  utf8Decode,
  utf8Encode,
} from './base64url.js';

// http_ece ships no types; this is the part of its API the tests use.
interface EceParams {
  version: 'aesgcm';
  privateKey: ECDH;
  dh: string;
  salt: string;
  authSecret: string;
  rs?: number;
  pad?: number;
}
const ece = createRequire(import.meta.url)('http_ece') as {
  encrypt(buffer: Buffer, params: EceParams): Buffer;
  decrypt(buffer: Buffer, params: EceParams): Buffer;
};

/** draft-ietf-webpush-encryption-04 §5 and Appendix A, line breaks of the draft removed. */
const DRAFT = {
  plaintext: 'I am the walrus',
  authSecret: 'R29vIGdvbyBnJyBqb29iIQ',
  uaPrivate: '9FWl15_QUQAWDaD3k3l50ZBZQJ4au27F1V4F0uLSD_M',
  uaPublic:
    'BCEkBjzL8Z3C-oi2Q7oE5t2Np-p7osjGLg93qUP0wvqRT21EEWyf0cQDQcakQMqz4hQKYOQ3il2nNZct4HgAUQU',
  asPrivate: 'nCScek-QpEjmOOlT-rQ38nZzvdPlqa00Zy0i6m2OJvY',
  asPublic:
    'BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU',
  salt: 'lngarbyKfMoi9Z75xYXmkg',
  ecdhSecret: 'RNjC-NVW4BGJbxWPW7G2mowsLeDa53LYKYm4--NOQ6Y',
  ikm: 'EhpZec37Ptm4IRD5-jtZ0q6r1iK5vYmY1tZwtN8fbZY',
  cekInfo:
    'Q29udGVudC1FbmNvZGluZzogYWVzZ2NtAFAtMjU2AABBBCEkBjzL8Z3C-oi2Q7oE5t2Np-p7osjGLg93qUP0wvqR' +
    'T21EEWyf0cQDQcakQMqz4hQKYOQ3il2nNZct4HgAUQUAQQTaEQ22_OCRpvIOWeQhcbq0qrF1iddSLX1xFmFSxPOW' +
    'OwmJA417CBHOGqsWGkNRvAapFwiegz6Q61rXVo_5roB1',
  cek: 'AN2-xhvFWeYh5z0fcDu0Ww',
  nonceInfo:
    'Q29udGVudC1FbmNvZGluZzogbm9uY2UAUC0yNTYAAEEEISQGPMvxncL6iLZDugTm3Y2n6nuiyMYuD3epQ_TC-pFP' +
    'bUQRbJ_RxANBxqRAyrPiFApg5DeKXac1ly3geABRBQBBBNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7' +
    'CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU',
  nonce: 'JY1Okw5rw1Drkg9J',
  body: '6nqAQUME8hNqw5J3kl8cpVVJylXKYqZOeseZG8UueKpA',
  // The example request's headers, quoted as the draft writes them.
  encryptionHeader: 'salt="lngarbyKfMoi9Z75xYXmkg"',
  cryptoKeyHeader:
    'dh="BNoRDbb84JGm8g5Z5CFxurSqsXWJ11ItfXEWYVLE85Y7CYkDjXsIEc4aqxYaQ1G8BqkXCJ6DPpDrWtdWj_mugHU"',
};

const draftReceiver = {
  uaPrivateKey: decodeBase64Url(DRAFT.uaPrivate),
  uaPublicKey: decodeBase64Url(DRAFT.uaPublic),
  authSecret: decodeBase64Url(DRAFT.authSecret),
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
    // Node drops leading zero bytes of the private key (1 time in 256); the draft's form is 32.
    uaPrivateKey: new Uint8Array(Buffer.from(ecdh.getPrivateKey('hex').padStart(64, '0'), 'hex')),
    uaPublicKey: new Uint8Array(ecdh.getPublicKey()),
    authSecret: new Uint8Array(randomBytes(16)),
  };
}

const subscriptionOf = (r: Receiver) => ({
  endpoint: 'https://push.example.net/push/abc',
  keys: { p256dh: encodeBase64Url(r.uaPublicKey), auth: encodeBase64Url(r.authSecret) },
});

function decryptFor(
  r: Receiver,
  message: { body: Uint8Array; encryption: string; cryptoKey: string },
): Uint8Array {
  return decryptAesgcm({ ...message, ...r });
}

/** http_ece encrypting as web-push does, with the header values a sender would write. */
function eceEncrypt(r: Receiver, plaintext: Uint8Array, rs?: number, pad?: number) {
  const sender = createECDH('prime256v1');
  const senderPublic = sender.generateKeys();
  const salt = randomBytes(16).toString('base64url');
  const body = ece.encrypt(Buffer.from(plaintext), {
    version: 'aesgcm',
    privateKey: sender,
    dh: encodeBase64Url(r.uaPublicKey),
    salt,
    authSecret: encodeBase64Url(r.authSecret),
    ...(rs !== undefined ? { rs } : {}),
    ...(pad !== undefined ? { pad } : {}),
  });
  return {
    body: new Uint8Array(body),
    encryption: rs === undefined ? `salt=${salt}` : `salt=${salt};rs=${rs}`,
    cryptoKey: `dh=${senderPublic.toString('base64url')}`,
  };
}

function eceDecrypt(r: Receiver, message: ReturnType<typeof encryptAesgcm>): Uint8Array {
  const { salt, recordSize } = parseEncryptionHeader(message.encryption);
  return new Uint8Array(
    ece.decrypt(Buffer.from(message.body), {
      version: 'aesgcm',
      privateKey: r.ecdh,
      dh: message.cryptoKey.replace(/^dh=/, ''),
      salt: encodeBase64Url(salt),
      authSecret: encodeBase64Url(r.authSecret),
      rs: recordSize,
    }),
  );
}

describe('draft-ietf-webpush-encryption-04 example', () => {
  it('reproduces the intermediate values', () => {
    const keys = deriveAesgcmKeys(
      decodeBase64Url(DRAFT.ecdhSecret),
      draftReceiver.authSecret,
      draftReceiver.uaPublicKey,
      decodeBase64Url(DRAFT.asPublic),
      decodeBase64Url(DRAFT.salt),
    );
    expect(encodeBase64Url(keys.ikm)).toBe(DRAFT.ikm);
    expect(
      encodeBase64Url(concatBytes(utf8Encode('Content-Encoding: aesgcm\0'), keys.context)),
    ).toBe(DRAFT.cekInfo);
    expect(
      encodeBase64Url(concatBytes(utf8Encode('Content-Encoding: nonce\0'), keys.context)),
    ).toBe(DRAFT.nonceInfo);
    expect(encodeBase64Url(keys.cek)).toBe(DRAFT.cek);
    expect(encodeBase64Url(keys.nonce)).toBe(DRAFT.nonce);
  });

  it('encrypts the example byte for byte, with the headers to send', () => {
    const message = encryptAesgcm({
      plaintext: utf8Encode(DRAFT.plaintext),
      uaPublicKey: draftReceiver.uaPublicKey,
      authSecret: draftReceiver.authSecret,
      asPrivateKey: decodeBase64Url(DRAFT.asPrivate),
      salt: decodeBase64Url(DRAFT.salt),
    });
    expect(encodeBase64Url(message.body)).toBe(DRAFT.body);
    expect(message.body).toHaveLength(33); // the example's Content-Length
    expect(message.encryption).toBe(`salt=${DRAFT.salt}`);
    expect(message.cryptoKey).toBe(`dh=${DRAFT.asPublic}`);
  });

  it('decrypts the example request with its quoted header values', () => {
    const plain = decryptAesgcm({
      body: decodeBase64Url(DRAFT.body),
      encryption: DRAFT.encryptionHeader,
      cryptoKey: DRAFT.cryptoKeyHeader,
      ...draftReceiver,
    });
    expect(utf8Decode(plain)).toBe(DRAFT.plaintext);
  });
});

describe('interoperability', () => {
  it('decrypts http_ece output, from empty to 4000 bytes, padded or not, in one record or many', () => {
    const r = newReceiver();
    for (const [size, rs, pad] of [
      [0, undefined, undefined],
      [1, undefined, undefined],
      [15, undefined, 0],
      [1000, undefined, 200],
      [4000, undefined, undefined],
      [100, 25, undefined],
      [100, 25, 60],
      [50, 3, 4],
    ] as const) {
      const plaintext = new Uint8Array(randomBytes(size));
      const message = eceEncrypt(r, plaintext, rs, pad);
      expect(decryptFor(r, message), `size ${size} rs ${rs} pad ${pad}`).toEqual(plaintext);
    }
  });

  it('produces what http_ece decrypts, with and without padding and several records', () => {
    const r = newReceiver();
    for (const [size, recordSize, padding] of [
      [0, 4096, 0],
      [41, 4096, 0],
      [3000, 4096, 0],
      [100, 4096, 300],
      [100, 30, 0],
      [28, 30, 0], // exactly one full record: a second, empty one must follow
      [100, 30, 70],
      [10, 3, 5],
    ] as const) {
      const plaintext = new Uint8Array(randomBytes(size));
      const message = encryptAesgcm({
        plaintext,
        uaPublicKey: r.uaPublicKey,
        authSecret: r.authSecret,
        recordSize,
        padding,
      });
      expect(eceDecrypt(r, message), `size ${size} rs ${recordSize}`).toEqual(plaintext);
      expect(decryptFor(r, message)).toEqual(plaintext);
    }
  });

  it('writes rs into Encryption only when it is not the default', () => {
    const r = newReceiver();
    const opts = {
      plaintext: utf8Encode('x'),
      uaPublicKey: r.uaPublicKey,
      authSecret: r.authSecret,
    };
    expect(encryptAesgcm(opts).encryption).toMatch(/^salt=[A-Za-z0-9_-]{22}$/);
    expect(encryptAesgcm({ ...opts, recordSize: 100 }).encryption).toMatch(
      /^salt=[A-Za-z0-9_-]{22};rs=100$/,
    );
  });

  it('uses a fresh sender key and salt for every message', () => {
    const r = newReceiver();
    const opts = {
      plaintext: utf8Encode('x'),
      uaPublicKey: r.uaPublicKey,
      authSecret: r.authSecret,
    };
    const a = encryptAesgcm(opts);
    const b = encryptAesgcm(opts);
    expect(a.encryption).not.toBe(b.encryption);
    expect(a.cryptoKey).not.toBe(b.cryptoKey);
  });

  it('decrypts what npm web-push sends with contentEncoding aesgcm, VAPID key beside dh', () => {
    const r = newReceiver();
    const vapid = webpush.generateVAPIDKeys();
    const details = webpush.generateRequestDetails(subscriptionOf(r), '{"title":"legacy"}', {
      contentEncoding: 'aesgcm',
      vapidDetails: { subject: 'mailto:ops@example.com', ...vapid },
    });
    const headers = details.headers as Record<string, string>;
    expect(headers['Content-Encoding']).toBe('aesgcm');
    // web-push appends the VAPID key to the dh entry with ";".
    expect(headers['Crypto-Key']).toMatch(/^dh=[A-Za-z0-9_-]{87};p256ecdsa=[A-Za-z0-9_-]{87}$/);
    expect(parseCryptoKeyHeader(headers['Crypto-Key']!).p256ecdsa).toBe(vapid.publicKey);
    const plain = decryptFor(r, {
      body: new Uint8Array(details.body!),
      encryption: headers.Encryption!,
      cryptoKey: headers['Crypto-Key']!,
    });
    expect(utf8Decode(plain)).toBe('{"title":"legacy"}');
  });

  it('decrypts what @pushforge/builder sends (aesgcm with random padding)', async () => {
    const r = newReceiver();
    const privateJWK = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'jwk',
    });
    for (let i = 0; i < 5; i++) {
      const request = await buildPushHTTPRequest({
        privateJWK,
        subscription: subscriptionOf(r),
        message: { payload: { title: 'forged', n: i }, adminContact: 'mailto:ops@example.com' },
      });
      const headers = new Headers(request.headers);
      expect(headers.get('content-encoding')).toBe('aesgcm');
      const plain = decryptFor(r, {
        body: new Uint8Array(request.body),
        encryption: headers.get('encryption')!,
        cryptoKey: headers.get('crypto-key')!,
      });
      expect(JSON.parse(utf8Decode(plain))).toEqual({ title: 'forged', n: i });
    }
  });
});

describe('refusing what cannot be read', () => {
  const example = () => ({
    body: decodeBase64Url(DRAFT.body),
    encryption: DRAFT.encryptionHeader,
    cryptoKey: DRAFT.cryptoKeyHeader,
    ...draftReceiver,
  });

  it('detects a flipped bit anywhere in the body', () => {
    const original = decodeBase64Url(DRAFT.body);
    for (let i = 0; i < original.length; i++) {
      const body = original.slice();
      body[i] = body[i]! ^ 1;
      expect(() => decryptAesgcm({ ...example(), body }), `byte ${i}`).toThrow(PushDecryptError);
    }
  });

  it('fails with another salt, sender key, auth secret or receiver key', () => {
    const other = newReceiver();
    const otherSalt = encodeBase64Url(new Uint8Array(16).fill(1));
    expect(() => decryptAesgcm({ ...example(), encryption: `salt=${otherSalt}` })).toThrow(
      PushDecryptError,
    );
    const otherKey = encodeBase64Url(other.uaPublicKey);
    expect(() => decryptAesgcm({ ...example(), cryptoKey: `dh=${otherKey}` })).toThrow(
      PushDecryptError,
    );
    expect(() => decryptAesgcm({ ...example(), authSecret: other.authSecret })).toThrow(
      PushDecryptError,
    );
    expect(() => decryptAesgcm({ ...example(), uaPrivateKey: other.uaPrivateKey })).toThrow(
      PushDecryptError,
    );
  });

  it('refuses a body cut after a full record, records swapped, and an empty body', () => {
    const r = newReceiver();
    const message = encryptAesgcm({
      plaintext: new Uint8Array(100).fill(7),
      uaPublicKey: r.uaPublicKey,
      authSecret: r.authSecret,
      recordSize: 30,
    });
    // 100 bytes of data, 28 per record: three full records of 46 bytes, then 16 + 2 + 16.
    expect(message.body).toHaveLength(3 * 46 + 34);
    expect(() => decryptFor(r, { ...message, body: message.body.subarray(0, 92) })).toThrow(
      /truncated/,
    );
    const swapped = message.body.slice();
    swapped.set(message.body.subarray(46, 92), 0);
    swapped.set(message.body.subarray(0, 46), 46);
    expect(() => decryptFor(r, { ...message, body: swapped })).toThrow(PushDecryptError);
    expect(() => decryptFor(r, { ...message, body: new Uint8Array(0) })).toThrow(PushDecryptError);
    expect(() => decryptFor(r, { ...message, body: new Uint8Array(10) })).toThrow(/truncated/);
  });

  it('refuses a pad length past the record, and padding that is not zeros', () => {
    // Sealed with node:crypto under the draft's keys, so only the padding is wrong.
    const keys = deriveAesgcmKeys(
      decodeBase64Url(DRAFT.ecdhSecret),
      draftReceiver.authSecret,
      draftReceiver.uaPublicKey,
      decodeBase64Url(DRAFT.asPublic),
      decodeBase64Url(DRAFT.salt),
    );
    const seal = (plain: number[]) => {
      const cipher = createCipheriv('aes-128-gcm', keys.cek, keys.nonce);
      const sealed = [cipher.update(new Uint8Array(plain)), cipher.final(), cipher.getAuthTag()];
      return new Uint8Array(Buffer.concat(sealed));
    };
    expect(() => decryptAesgcm({ ...example(), body: seal([0, 9, 0, 0]) })).toThrow(
      /padding exceeds/,
    );
    expect(() => decryptAesgcm({ ...example(), body: seal([0, 2, 0, 1, 65]) })).toThrow(
      /not zeros/,
    );
    expect(utf8Decode(decryptAesgcm({ ...example(), body: seal([0, 2, 0, 0, 65]) }))).toBe('A');
  });
});

describe('header parsing', () => {
  const salt = encodeBase64Url(new Uint8Array(16).fill(9));
  const dh = DRAFT.asPublic;

  it('reads a parameter list: entries by comma, parameters by semicolon, quotes and spaces', () => {
    expect(parseParamList('a=1;b="x, y;z", C = 3 ,').map((e) => Object.fromEntries(e))).toEqual([
      { a: '1', b: 'x, y;z' },
      { c: '3' },
    ]);
    expect(parseParamList('  ').length).toBe(0);
    expect(parseParamList('k="a\\"b"')[0]!.get('k')).toBe('a"b');
  });

  it.each(['a', 'a=', 'a=1 b=2', '=1', 'a="open', 'a=1;a=2', 'a=1 ?'])(
    'refuses the malformed list %j',
    (value) => {
      expect(() => parseParamList(value)).toThrow(Error);
    },
  );

  it.each([
    [`salt=${salt}`, 4096],
    [`salt="${salt}"`, 4096],
    [`keyid="p256dh";salt=${salt}`, 4096],
    [`salt=${salt};rs=3`, 3],
    [`salt=${salt}; rs=4096`, 4096],
    [`SALT=${salt};RS=100`, 100],
    [`salt=${salt}==`, 4096], // padded base64url, as some older senders write it
  ])('reads Encryption %j', (value, recordSize) => {
    const parsed = parseEncryptionHeader(value);
    expect(encodeBase64Url(parsed.salt)).toBe(salt);
    expect(parsed.recordSize).toBe(recordSize);
  });

  it.each([
    '',
    'rs=4096',
    'salt=',
    `salt=${salt}x`,
    'salt=AAAA',
    `salt=${salt.replace('J', '+')}`,
    `salt=${salt},salt=${salt}`,
    `salt=${salt};rs=2`,
    `salt=${salt};rs=0`,
    `salt=${salt};rs=-1`,
    `salt=${salt};rs=4k`,
    `salt=${salt};rs=99999999999`,
    `salt=${salt};rs=4294967296`,
    `salt ${salt}`,
  ])('refuses Encryption %j, naming the header', (value) => {
    let error: unknown;
    try {
      parseEncryptionHeader(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PushHeaderError);
    expect((error as PushHeaderError).header).toBe('Encryption');
  });

  it.each([
    [`dh=${dh}`, true, null],
    [`dh="${dh}"`, true, null],
    [`keyid=p256dh;dh=${dh}`, true, null],
    [`dh=${dh};p256ecdsa=BKey`, true, 'BKey'],
    [`dh=${dh},p256ecdsa=BKey`, true, 'BKey'],
    [`p256ecdsa=BKey, dh=${dh}`, true, 'BKey'],
    ['p256ecdsa=BKey', false, 'BKey'],
  ])('reads Crypto-Key %j', (value, hasDh, p256ecdsa) => {
    const parsed = parseCryptoKeyHeader(value);
    expect(parsed.dh === null ? null : encodeBase64Url(parsed.dh)).toBe(hasDh ? dh : null);
    expect(parsed.p256ecdsa).toBe(p256ecdsa);
  });

  it.each([
    'dh=',
    'dh=BAAA',
    `dh=${dh}A`,
    `dh=${dh.slice(0, -1)}`,
    // 65 bytes, but not in the uncompressed form.
    `dh=${encodeBase64Url(concatBytes(new Uint8Array([2]), decodeBase64Url(dh).subarray(1)))}`,
    `dh=${dh},dh=${dh}`,
    `dh=${dh};p256ecdsa=a,p256ecdsa=b`,
    `dh ${dh}`,
  ])('refuses Crypto-Key %j, naming the header', (value) => {
    let error: unknown;
    try {
      parseCryptoKeyHeader(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PushHeaderError);
    expect((error as PushHeaderError).header).toBe('Crypto-Key');
  });

  it('leaves a 65-byte dh off the curve to decryption, which refuses it', () => {
    const offCurve = encodeBase64Url(concatBytes(new Uint8Array([4]), new Uint8Array(64).fill(1)));
    expect(parseCryptoKeyHeader(`dh=${offCurve}`).dh).toHaveLength(65);
    expect(() =>
      decryptAesgcm({
        body: decodeBase64Url(DRAFT.body),
        encryption: DRAFT.encryptionHeader,
        cryptoKey: `dh=${offCurve}`,
        ...draftReceiver,
      }),
    ).toThrow(/not a P-256 public key/);
  });

  it('makes decryption fail with the header error when a header is unusable', () => {
    expect(() =>
      decryptAesgcm({
        body: decodeBase64Url(DRAFT.body),
        encryption: DRAFT.encryptionHeader,
        cryptoKey: 'p256ecdsa=BKey',
        ...draftReceiver,
      }),
    ).toThrow(PushHeaderError);
  });
});
