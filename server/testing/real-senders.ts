// Sends one push with a Web Push library this project did not write, used exactly as its
// README says, in a process of its own: that process trusts the test certificate the way an
// operator's sender would trust a private CA, through NODE_EXTRA_CA_CERTS, so nothing in the
// library is configured for the test. Prints {"status", "body"} as one JSON line.
//
//   node --import tsx server/testing/real-senders.ts '<job JSON>'
import { buildPushPayload } from '@block65/webcrypto-web-push';
import { buildPushHTTPRequest } from '@pushforge/builder';
import webpush from 'web-push';
import { z } from 'zod';

export const SENDERS = ['web-push', 'web-push-aesgcm', 'pushforge', 'block65'] as const;
export type SenderName = (typeof SENDERS)[number];

export const SenderJob = z.object({
  sender: z.enum(SENDERS),
  subscription: z.object({
    endpoint: z.string(),
    expirationTime: z.null(),
    keys: z.object({ p256dh: z.string(), auth: z.string() }),
  }),
  /** Sent as JSON text; the libraries that take an object get it as one. */
  payload: z.record(z.string(), z.string()),
  vapid: z.object({ subject: z.string(), publicKey: z.string(), privateKey: z.string() }),
});
export type SenderJob = z.infer<typeof SenderJob>;

export interface SenderResult {
  status: number;
  body: string;
}

/** A WebPushError carries the answer of a refused push; anything else is a real failure. */
const WebPushFailure = z.object({ statusCode: z.number(), body: z.string() });

async function withWebPush(job: SenderJob, contentEncoding: 'aes128gcm' | 'aesgcm') {
  try {
    const res = await webpush.sendNotification(job.subscription, JSON.stringify(job.payload), {
      TTL: 60,
      contentEncoding,
      vapidDetails: job.vapid,
    });
    return { status: res.statusCode, body: res.body };
  } catch (err) {
    const refused = WebPushFailure.safeParse(err);
    if (refused.success) return { status: refused.data.statusCode, body: refused.data.body };
    throw err;
  }
}

/** @pushforge/builder wants the VAPID private key as a JWK. */
function vapidJwk(vapid: SenderJob['vapid']): JsonWebKey {
  const point = Buffer.from(vapid.publicKey, 'base64url');
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
    d: vapid.privateKey,
  };
}

export async function send(job: SenderJob): Promise<SenderResult> {
  switch (job.sender) {
    case 'web-push':
      return withWebPush(job, 'aes128gcm');
    case 'web-push-aesgcm':
      return withWebPush(job, 'aesgcm');
    case 'pushforge': {
      const request = await buildPushHTTPRequest({
        privateJWK: vapidJwk(job.vapid),
        subscription: job.subscription,
        message: { payload: job.payload, adminContact: job.vapid.subject },
      });
      const res = await fetch(request.endpoint, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      return { status: res.status, body: await res.text() };
    }
    case 'block65': {
      const payload = await buildPushPayload(
        { data: job.payload, options: { ttl: 60 } },
        job.subscription,
        job.vapid,
      );
      const res = await fetch(job.subscription.endpoint, payload);
      return { status: res.status, body: await res.text() };
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  send(SenderJob.parse(JSON.parse(process.argv[2] ?? '')))
    .then((result) => console.log(JSON.stringify(result)))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      process.exit(1);
    });
}
