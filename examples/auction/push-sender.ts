// Sends one Web Push with npm `web-push`: it encrypts the payload (RFC 8291) and signs the
// VAPID header (RFC 8292, audience = the endpoint's origin). web-push sends only over https,
// so the request it describes is sent with fetch, which also speaks plain http for a local
// push server.
import webpush from 'web-push';
import type { PushSubscriptionJSON } from '../../shared/protocol.js';

export interface VapidKeys {
  subject: string;
  publicKey: string;
  privateKey: string;
}

export interface SendResult {
  /** The push service's status, or 0 when it could not be reached. */
  status: number;
  body: string;
}

export interface SendOptions {
  ttl: number;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
  /** Replaces an older message with the same topic that is still waiting. */
  topic?: string;
}

export type PushSender = (
  subscription: PushSubscriptionJSON,
  payload: string,
  options: SendOptions,
) => Promise<SendResult>;

export function createVapidKeys(env: NodeJS.ProcessEnv = process.env): VapidKeys {
  const subject = env.VAPID_SUBJECT ?? 'mailto:auction-demo@localhost';
  if (env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY) {
    return { subject, publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY };
  }
  const generated = webpush.generateVAPIDKeys();
  return { subject, ...generated };
}

export function createPushSender(vapid: VapidKeys, fetchImpl: typeof fetch = fetch): PushSender {
  return async (subscription, payload, options) => {
    const request = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: subscription.keys },
      payload,
      {
        vapidDetails: vapid,
        contentEncoding: 'aes128gcm',
        TTL: options.ttl,
        ...(options.urgency ? { urgency: options.urgency } : {}),
        ...(options.topic ? { topic: options.topic } : {}),
      },
    );
    // fetch computes Content-Length itself.
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
    );
    try {
      const response = await fetchImpl(request.endpoint, {
        method: request.method,
        headers,
        body: request.body ? new Uint8Array(request.body) : null,
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: await response.text() };
    } catch (err) {
      return { status: 0, body: String(err) };
    }
  };
}
