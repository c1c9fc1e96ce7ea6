// A Web Push sender built only on shared/ (no web-push library): encrypts with RFC 8291,
// signs VAPID, posts to the endpoint. As a CLI:
//
//   npm run send -- --subscription sub.json --payload '{"title":"Hi"}' [--ttl 60]
//        [--urgency high] [--topic news] [--vapid vapid.json --subject mailto:me@example.com]
//        [--encoding aesgcm]
//
// sub.json is the PushSubscription JSON a page got from navigator.push.subscribe();
// vapid.json is {"publicKey","privateKey"} (base64url), e.g. from `--generate-vapid`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { encryptPushPayload } from '../../shared/crypto/aes128gcm.js';
import { encryptAesgcm } from '../../shared/crypto/aesgcm.js';
import { decodeBase64Url, utf8Encode } from '../../shared/crypto/base64url.js';
import {
  generateVapidKeys,
  type VapidKeyPair,
  vapidAuthorizationFor,
} from '../../shared/crypto/vapid.js';
import { PushEncoding, PushSubscriptionJSON, Urgency } from '../../shared/protocol.js';

export interface SendPushOptions {
  subscription: PushSubscriptionJSON;
  payload?: string;
  ttl?: number;
  urgency?: Urgency;
  topic?: string;
  vapid?: { keys: VapidKeyPair; subject: string };
  /** aes128gcm (RFC 8291, the default) or the legacy aesgcm, for trying older clients. */
  encoding?: PushEncoding;
}

export interface SendPushResult {
  status: number;
  location: string | null;
  ttl: string | null;
  error: unknown;
}

export async function sendPush(options: SendPushOptions): Promise<SendPushResult> {
  const headers: Record<string, string> = { TTL: String(options.ttl ?? 60) };
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (options.payload !== undefined && options.payload.length > 0) {
    const receiver = {
      plaintext: utf8Encode(options.payload),
      uaPublicKey: decodeBase64Url(options.subscription.keys.p256dh),
      authSecret: decodeBase64Url(options.subscription.keys.auth),
    };
    if (options.encoding === 'aesgcm') {
      const sealed = encryptAesgcm(receiver);
      body = new Uint8Array(sealed.body);
      headers.Encryption = sealed.encryption;
      headers['Crypto-Key'] = sealed.cryptoKey;
    } else {
      body = new Uint8Array(encryptPushPayload(receiver));
    }
    headers['Content-Encoding'] = options.encoding ?? 'aes128gcm';
    headers['Content-Type'] = 'application/octet-stream';
  }
  if (options.urgency) headers.Urgency = options.urgency;
  if (options.topic) headers.Topic = options.topic;
  if (options.vapid) {
    headers.Authorization = vapidAuthorizationFor(
      options.subscription.endpoint,
      options.vapid.keys,
      options.vapid.subject,
    );
  }
  const res = await fetch(options.subscription.endpoint, { method: 'POST', headers, body });
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get('location'),
    ttl: res.headers.get('ttl'),
    error: text ? JSON.parse(text) : null,
  };
}

const VapidFile = z.object({ publicKey: z.string(), privateKey: z.string() });

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscription: { type: 'string' },
      payload: { type: 'string' },
      ttl: { type: 'string' },
      urgency: { type: 'string' },
      topic: { type: 'string' },
      vapid: { type: 'string' },
      subject: { type: 'string', default: 'mailto:admin@localhost' },
      encoding: { type: 'string' },
      'generate-vapid': { type: 'boolean' },
    },
  });
  if (values['generate-vapid']) {
    console.log(JSON.stringify(generateVapidKeys(), null, 2));
    return 0;
  }
  if (!values.subscription) {
    console.error(
      'usage: npm run send -- --subscription sub.json [--payload text] [--ttl s] [--urgency u] [--topic t] [--vapid keys.json --subject mailto:…] [--encoding aes128gcm|aesgcm]',
    );
    return 2;
  }
  const subscription = PushSubscriptionJSON.parse(
    JSON.parse(readFileSync(values.subscription, 'utf8')),
  );
  const result = await sendPush({
    subscription,
    ...(values.payload !== undefined ? { payload: values.payload } : {}),
    ...(values.ttl !== undefined
      ? { ttl: z.coerce.number().int().nonnegative().parse(values.ttl) }
      : {}),
    ...(values.urgency !== undefined ? { urgency: Urgency.parse(values.urgency) } : {}),
    ...(values.topic !== undefined ? { topic: values.topic } : {}),
    ...(values.encoding !== undefined ? { encoding: PushEncoding.parse(values.encoding) } : {}),
    ...(values.vapid !== undefined
      ? {
          vapid: {
            keys: VapidFile.parse(JSON.parse(readFileSync(values.vapid, 'utf8'))),
            subject: values.subject,
          },
        }
      : {}),
  });
  console.log(`${result.status}${result.location ? ` ${result.location}` : ''}`);
  if (result.error) console.log(JSON.stringify(result.error));
  return result.status === 201 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
