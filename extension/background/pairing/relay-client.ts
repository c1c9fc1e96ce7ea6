// The pairing relay (docs/protocol.md §6, docs/protocol.md §6) as the add-on uses it: create a channel,
// write a step once, and poll a step about once a second until it is there. Every way it can
// go wrong ends in one RelayError code, so the pairing flows can tell the user what happened.
import {
  CreatePairingResponse,
  ErrorBody,
  PAIRING_CHANNEL_PATTERN,
} from '../../../shared/protocol.js';
import type { FetchLike } from '../api-client.js';

export type RelayErrorCode =
  /** No answer (offline, wrong address, server down, or too slow), several times in a row. */
  | 'unreachable'
  /** The relay says the channel is gone: expired, closed by an `abort`, or never existed. */
  | 'channel_closed'
  /** The channel's time (expiresAt) ran out while waiting for the other device. */
  | 'expired'
  /** 409: the step was written already, by someone else (a guess at the channel). */
  | 'step_taken'
  | 'rate_limited'
  /** Anything else a relay should not answer: 5xx, 400/413, or a body that is not JSON. */
  | 'server_error'
  /** Our own caller gave up (the user pressed Cancel). */
  | 'cancelled';

export class RelayError extends Error {
  override name = 'RelayError';
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface PairingChannel {
  channel: string;
  expiresAt: string;
}

export interface RelayOptions {
  fetch?: FetchLike;
  /** How often a missing step is asked for again; the protocol says about once a second. */
  pollIntervalMs?: number;
  /** Failed polls in a row (no answer, 429, 5xx) before giving up as `unreachable`. */
  maxPollFailures?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  /** Called on every poll; the background uses it to tell Chromium it is still busy. */
  onPoll?: () => void;
}

const DEFAULTS = {
  pollIntervalMs: 1000,
  maxPollFailures: 5,
  requestTimeoutMs: 15_000,
};

/** A step's message, or NOT_READY while the peer has not written it. */
const NOT_READY = Symbol('not ready');

export class PairingRelay {
  readonly #fetch: FetchLike;
  readonly #pollIntervalMs: number;
  readonly #maxPollFailures: number;
  readonly #requestTimeoutMs: number;
  readonly #now: () => number;
  readonly #onPoll: () => void;

  constructor(
    readonly baseUrl: string,
    options: RelayOptions = {},
  ) {
    // A wrapper, because the service worker's fetch throws when called detached from globalThis.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
    this.#maxPollFailures = options.maxPollFailures ?? DEFAULTS.maxPollFailures;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.#now = options.now ?? Date.now;
    this.#onPoll = options.onPoll ?? (() => {});
  }

  /** POST /v1/pairings → a fresh channel and when it expires. */
  async createChannel(signal?: AbortSignal): Promise<PairingChannel> {
    const response = await this.#send('POST', '/v1/pairings', undefined, signal);
    const body = await readJson(response);
    if (response.status !== 201) throw statusError(response.status, body);
    const parsed = CreatePairingResponse.safeParse(body);
    if (
      !parsed.success ||
      !PAIRING_CHANNEL_PATTERN.test(parsed.data.channel) ||
      Number.isNaN(Date.parse(parsed.data.expiresAt))
    ) {
      throw new RelayError(
        'server_error',
        'the server gave an unexpected answer to POST /v1/pairings',
      );
    }
    return parsed.data;
  }

  /** PUT /v1/pairings/{channel}/{step}: writes a step, once. */
  async put(channel: string, step: string, message: unknown, signal?: AbortSignal): Promise<void> {
    const response = await this.#send('PUT', stepPath(channel, step), message, signal);
    if (response.status === 204 || response.status === 200) return;
    const body = await readJson(response);
    if (response.status === 404) throw closed();
    if (response.status === 409) {
      throw new RelayError('step_taken', `step ${step} of this channel was written already`);
    }
    throw statusError(response.status, body);
  }

  /** One GET of a step: its message, or NOT_READY. */
  async #read(channel: string, step: string, signal?: AbortSignal): Promise<unknown> {
    const response = await this.#send('GET', stepPath(channel, step), undefined, signal);
    const text = await response.text().catch(() => '');
    if (response.status === 200) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new RelayError('server_error', `step ${step} is not JSON`);
      }
    }
    const body = parseJson(text);
    if (response.status === 404) {
      // A relay that says which 404 it is lets us stop at once; a plain 404 means "not yet".
      const error = ErrorBody.safeParse(body);
      if (error.success && error.data.error === 'channel_not_found') throw closed();
      return NOT_READY;
    }
    throw statusError(response.status, body);
  }

  /**
   * Polls a step about once a second until it is there. Stops with `channel_closed` as soon as
   * the relay says the channel is gone, with `expired` at `deadline`, with `unreachable` after
   * several failed polls in a row, and with `cancelled` when `signal` fires.
   */
  async waitFor(
    channel: string,
    step: string,
    options: { deadline: number; signal?: AbortSignal },
  ): Promise<unknown> {
    let failures = 0;
    for (;;) {
      throwIfCancelled(options.signal);
      if (this.#now() >= options.deadline) {
        throw new RelayError(
          'expired',
          'the pairing channel expired before the other device answered',
        );
      }
      this.#onPoll();
      try {
        const value = await this.#read(channel, step, options.signal);
        if (value !== NOT_READY) return value;
        failures = 0;
      } catch (err) {
        // One lost poll is no reason to give up a pairing; several in a row are.
        const transient =
          err instanceof RelayError &&
          (err.code === 'unreachable' ||
            err.code === 'rate_limited' ||
            err.code === 'server_error');
        if (!transient || ++failures >= this.#maxPollFailures) throw err;
      }
      await sleep(this.#pollIntervalMs, options.signal);
    }
  }

  /**
   * Writes the `abort` step, which makes the relay close the channel so the other device stops
   * at once. Best effort: a channel that is gone already, or a server that cannot be reached,
   * changes nothing about the failure the caller reports.
   */
  async abort(channel: string, message: { error: string; message?: string }): Promise<void> {
    try {
      await this.put(channel, 'abort', message);
    } catch {
      // Nothing more to do: see above.
    }
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    throwIfCancelled(signal);
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    try {
      return await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers:
          body === undefined
            ? { Accept: 'application/json' }
            : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      throwIfCancelled(signal);
      throw new RelayError(
        'unreachable',
        timeout.aborted
          ? 'the push server did not answer in time'
          : 'the push server cannot be reached',
      );
    }
  }
}

function stepPath(channel: string, step: string): string {
  return `/v1/pairings/${encodeURIComponent(channel)}/${encodeURIComponent(step)}`;
}

function closed(): RelayError {
  return new RelayError(
    'channel_closed',
    'the pairing channel is gone (expired, closed or unknown)',
  );
}

function statusError(status: number, body: unknown): RelayError {
  const parsed = ErrorBody.safeParse(body);
  const detail = parsed.success ? `: ${parsed.data.message}` : '';
  if (status === 429) return new RelayError('rate_limited', `too many requests${detail}`);
  return new RelayError('server_error', `the relay answered ${status}${detail}`);
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RelayError('cancelled', 'pairing was cancelled');
}

async function readJson(response: Response): Promise<unknown> {
  return parseJson(await response.text().catch(() => ''));
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Waits `ms`, or less when `signal` fires (the caller then sees the cancellation). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
