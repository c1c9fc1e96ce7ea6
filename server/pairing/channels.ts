// Pairing channels in memcached (docs/protocol.md §6): shared by every node, gone after five
// minutes by memcached's own expiry, each step written at most once. The server only
// relays opaque J-PAKE messages; nothing it stores helps it read the final payload.
import { randomInt } from 'node:crypto';
import {
  PAIRING_ALPHABET,
  PAIRING_CHANNEL_LENGTH,
  PAIRING_CHANNEL_PATTERN,
  PAIRING_TTL_SECONDS,
} from '../../shared/protocol.js';
import type { SharedState } from '../shared-state/memcached.js';

/** Writing this step (a party failed key confirmation) kills the channel. */
export const ABORT_STEP = 'abort';

interface ChannelRecord {
  expiresAt: number;
  /**
   * Set by an `abort`: the channel stays known until it expires, so the two parties learn at
   * once that it is closed, while a channel nobody opened reads like one whose step is not
   * written yet (no liveness oracle for guessers).
   */
  closed?: true;
}

const channelKey = (channel: string) => `push:pair:${channel}`;
const stepKey = (channel: string, step: string) => `push:pair:${channel}:${step}`;

export function newChannelName(): string {
  let name = '';
  for (let i = 0; i < PAIRING_CHANNEL_LENGTH; i++)
    name += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return name;
}

export type WriteOutcome = 'written' | 'taken' | 'no_channel' | 'closed';
export type ReadOutcome =
  | { kind: 'message'; json: string }
  | { kind: 'not_ready' }
  | { kind: 'no_channel' }
  | { kind: 'closed' };

export class PairingChannels {
  constructor(
    private readonly cache: SharedState,
    private readonly ttlSeconds: number = PAIRING_TTL_SECONDS,
  ) {}

  /** Creates a channel with a fresh name; null when every attempt collided. */
  async create(now = Date.now()): Promise<{ channel: string; expiresAt: Date } | null> {
    const expiresAt = now + this.ttlSeconds * 1000;
    for (let attempt = 0; attempt < 8; attempt++) {
      const channel = newChannelName();
      const record: ChannelRecord = { expiresAt };
      if (await this.cache.add(channelKey(channel), JSON.stringify(record), this.ttlSeconds)) {
        return { channel, expiresAt: new Date(expiresAt) };
      }
    }
    return null;
  }

  private parse(raw: string | undefined): ChannelRecord | null {
    if (raw === undefined) return null;
    const record = JSON.parse(raw) as ChannelRecord;
    return record.expiresAt > Date.now() ? record : null;
  }

  private async record(channel: string): Promise<ChannelRecord | null> {
    if (!PAIRING_CHANNEL_PATTERN.test(channel)) return null;
    return this.parse(await this.cache.get(channelKey(channel)));
  }

  async write(channel: string, step: string, json: string): Promise<WriteOutcome> {
    const record = await this.record(channel);
    if (!record) return 'no_channel';
    if (record.closed) return 'closed';
    const ttl = Math.max(1, Math.ceil((record.expiresAt - Date.now()) / 1000));
    if (!(await this.cache.add(stepKey(channel, step), json, ttl))) return 'taken';
    if (step === ABORT_STEP) {
      const closed: ChannelRecord = { expiresAt: record.expiresAt, closed: true };
      await this.cache.set(channelKey(channel), JSON.stringify(closed), ttl);
    }
    return 'written';
  }

  async read(channel: string, step: string): Promise<ReadOutcome> {
    if (!PAIRING_CHANNEL_PATTERN.test(channel)) return { kind: 'no_channel' };
    // Both looked up at once, whatever the channel: a missing channel and a missing step then
    // cost the same round trip, and the timing says no more than the answer.
    const [raw, json] = await Promise.all([
      this.cache.get(channelKey(channel)),
      this.cache.get(stepKey(channel, step)),
    ]);
    const record = this.parse(raw);
    if (!record) return { kind: 'no_channel' };
    if (record.closed) return { kind: 'closed' };
    return json === undefined ? { kind: 'not_ready' } : { kind: 'message', json };
  }
}
