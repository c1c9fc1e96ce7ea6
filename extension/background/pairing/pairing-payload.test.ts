import { describe, expect, it } from 'vitest';
import { encodeBase64Url, generateSecretKey, utf8Encode } from '../../../shared/crypto/index.js';
import { decodePairingPayload, encodePairingPayload } from './pairing-payload.js';

const payload = {
  serverUrl: 'http://127.0.0.1:8080',
  username: 'alice',
  clientId: 'c1',
  clientToken: 'token-with-128-bits',
  secretKey: encodeBase64Url(generateSecretKey()),
};

describe('pairing payload', () => {
  it('round-trips the five fields of docs/protocol.md §6', () => {
    expect(decodePairingPayload(encodePairingPayload(payload))).toEqual(payload);
  });

  it('carries the label of an account made with a provider (docs/protocol.md §9)', () => {
    const oidc = { ...payload, username: 'carol@example.org (Example ID)' };
    expect(decodePairingPayload(encodePairingPayload(oidc))).toEqual(oidc);
  });

  it('drops fields it does not know', () => {
    const bytes = utf8Encode(JSON.stringify({ ...payload, password: 'never sent' }));
    expect(decodePairingPayload(bytes)).toEqual(payload);
  });

  it('refuses what it could not sign in with', () => {
    const bad = [
      'not json',
      JSON.stringify({ ...payload, serverUrl: 'ftp://x' }),
      JSON.stringify({ ...payload, serverUrl: 'http://127.0.0.1:8080/' }),
      JSON.stringify({ ...payload, username: 'Alice!' }),
      JSON.stringify({ ...payload, username: 'carol\n (Example ID)' }),
      JSON.stringify({ ...payload, clientToken: '' }),
      JSON.stringify({ ...payload, secretKey: encodeBase64Url(new Uint8Array(16)) }),
      JSON.stringify({ ...payload, secretKey: undefined }),
    ];
    for (const text of bad) {
      expect(() => decodePairingPayload(utf8Encode(text))).toThrow(
        expect.objectContaining({ code: 'invalid_payload' }),
      );
    }
  });
});
