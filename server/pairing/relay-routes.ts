// /v1/pairings: the relay two devices run J-PAKE through (docs/protocol.md §6). Creating channels
// and reading unknown ones count towards the DoS limits, so guessing a live channel is slow;
// a client polling a live channel for a step not written yet is not misbehaving.
//
// What the relay keeps is bounded: only the transcript's step names can be written (each
// once, at most 8 KiB), an address may open a few channels per channel lifetime, and a
// read of a channel nobody opened answers exactly as a read of a step not written yet, so
// the answers tell a guesser nothing about which channels are live.
import { Hono } from 'hono';
import { PAIRING_STEPS } from '../../shared/crypto/jpake/messages.js';
import {
  type CreatePairingResponse,
  MAX_PAIRING_MESSAGE_BYTES,
  PAIRING_TTL_SECONDS,
} from '../../shared/protocol.js';
import { IpAllowance } from '../dos/ip-allowance.js';
import type { AppEnv } from '../http/app-env.js';
import { readBodyLimited } from '../http/body.js';
import { badRequest, HttpError, serviceUnavailable } from '../http/errors.js';
import type { Services } from '../services.js';
import { SharedStateUnavailable } from '../shared-state/memcached.js';
import { PairingChannels } from './channels.js';

/** Each channel creation weighs this many requests against the caller's allowance. */
const CREATE_WEIGHT = 10;

const channelNotFound = () =>
  new HttpError(
    404,
    'channel_not_found',
    'no such pairing channel: it expired, was closed, or the code is wrong',
  );

/** The one answer to reading a step that is not there, whether or not the channel exists. */
const nothingYet = () =>
  new HttpError(404, 'step_not_ready', 'nothing has been written to this step yet; poll again');

const STEP_NAMES: ReadonlySet<string> = new Set(Object.values(PAIRING_STEPS));

function validStep(step: string): string {
  if (!STEP_NAMES.has(step)) {
    throw badRequest(`step must be one of ${[...STEP_NAMES].join(', ')}`);
  }
  return step;
}

async function withCache<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SharedStateUnavailable)
      throw serviceUnavailable('pairing is unavailable right now; try again');
    throw err;
  }
}

export function pairingRoutes({ cache, dos, config }: Services): Hono<AppEnv> {
  const channels = new PairingChannels(cache);
  // A channel lives PAIRING_TTL_SECONDS: so many per address in that time bounds its live ones.
  const perAddress = new IpAllowance(
    cache,
    'pairing',
    () => config.limits.pairingChannelsPerIp,
    PAIRING_TTL_SECONDS,
  );
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    const ip = c.get('clientIp');
    dos.countRequest(ip, CREATE_WEIGHT);
    if (!dos.isAllowListed(ip)) {
      const allowance = await perAddress.take(ip);
      if (!allowance.allowed) {
        throw new HttpError(
          429,
          'too_many_channels',
          `this address opened ${config.limits.pairingChannelsPerIp} pairing channels in the last ${PAIRING_TTL_SECONDS / 60} minutes; finish or wait for one of them`,
          { 'Retry-After': String(allowance.retryAfter) },
        );
      }
    }
    const created = await withCache(() => channels.create());
    if (!created) throw serviceUnavailable('no free pairing channel; try again');
    return c.json(
      {
        channel: created.channel,
        expiresAt: created.expiresAt.toISOString(),
      } satisfies CreatePairingResponse,
      201,
    );
  });

  app.put('/:channel/:step', async (c) => {
    const step = validStep(c.req.param('step'));
    const body = await readBodyLimited(c, MAX_PAIRING_MESSAGE_BYTES);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
      JSON.parse(text);
    } catch {
      throw badRequest('the message must be JSON', 'invalid_json');
    }
    const outcome = await withCache(() => channels.write(c.req.param('channel'), step, text));
    // A writer must learn at once that its channel is gone; each miss counts as a bad request.
    if (outcome === 'no_channel' || outcome === 'closed') throw channelNotFound();
    if (outcome === 'taken')
      throw new HttpError(409, 'step_taken', 'this step was written already');
    return c.body(null, 204);
  });

  app.get('/:channel/:step', async (c) => {
    const step = validStep(c.req.param('step'));
    const outcome = await withCache(() => channels.read(c.req.param('channel'), step));
    // Closed by an abort: the parties stop at once; the channel is dead, nothing to learn.
    if (outcome.kind === 'closed') throw channelNotFound();
    // Unknown or not written yet: one answer. Only the polling of a live channel is
    // excused; guessing channels still counts as bad requests, so it gets the address boxed.
    if (outcome.kind === 'no_channel') throw nothingYet();
    if (outcome.kind === 'not_ready') {
      dos.excuse(c);
      throw nothingYet();
    }
    c.header('Content-Type', 'application/json');
    return c.body(outcome.json);
  });

  return app;
}
