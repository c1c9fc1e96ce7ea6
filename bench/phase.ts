// What one timed phase measured, whichever path it drove; and the small waiting helper
// both paths use to know when every delivery has arrived.
import type { CpuShare } from './cpu.js';
import type { LatencySummary } from './latency.js';

export interface Shape {
  users: number;
  clientsPerUser: number;
}

export interface PhaseResult {
  /** `rabbitmq`: amqplib straight to RabbitMQ; `server`: HTTP → server → WebSocket. */
  path: 'rabbitmq' | 'server';
  shape: Shape;
  /** Messages sent in the timed phase (publishes, or POSTs answered 201). */
  messages: number;
  /** Deliveries received and acked (messages × clients per user when nothing is lost). */
  deliveries: number;
  expectedDeliveries: number;
  /** From the first send to the last delivery (or last confirm/201, if later). */
  seconds: number;
  messagesPerSecond: number;
  deliveriesPerSecond: number;
  /**
   * Messages confirmed (a) or answered 201 (b) per second while sending, i.e. before the
   * wait for the last deliveries: above messagesPerSecond when delivery is the slower side
   * and messages queue up in RabbitMQ.
   */
  acceptedPerSecond: number;
  /** Send start → delivery at the consumer/WebSocket client, in ms, over all deliveries. */
  deliveryLatencyMs: LatencySummary | null;
  /** Send start → publisher confirm (rabbitmq) or → 201 response (server), in ms. */
  acceptLatencyMs: LatencySummary | null;
  /**
   * Send start → delivery with one message in flight at a time (after the timed phase):
   * the path's own latency, without the queueing a saturating load adds.
   */
  lightLatencyMs: LatencySummary | null;
  /** Unconfirmed publishes (rabbitmq) or in-flight POSTs (server) kept outstanding. */
  inFlight: number;
  prefetch: number;
  /** Anything that went wrong (non-201 answers, unrouted publishes, missing deliveries). */
  problems: string[];
  cpu: CpuShare;
}

/**
 * Resolves once `done()` holds, checking every few ms; rejects after `timeoutMs`. Polling
 * is enough here: the measured end time comes from the delivery timestamps themselves,
 * not from when this notices.
 */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
