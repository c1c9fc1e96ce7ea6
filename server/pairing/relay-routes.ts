// /v1/pairings: the relay two devices run J-PAKE through (docs/protocol.md §6). Creating channels
// and reading unknown ones count towards the DoS limits, so guessing a live channel is slow;
// a client polling a live channel for a step not written yet is not misbehaving.
import { Hono } from 'hono';
import {
  type CreatePairingResponse,
  MAX_PAIRING_MESSAGE_BYTES,
  PAIRING_STEP_PATTERN,
} from '../../shared/protocol.js';
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

function validStep(step: string): string {
  if (!PAIRING_STEP_PATTERN.test(step))
    throw badRequest('step must be 1–16 characters of a-z, 0-9 and -');
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

export function pairingRoutes({ cache, dos }: Services): Hono<AppEnv> {
  const channels = new PairingChannels(cache);
  const app = new Hono<AppEnv>();

  app.post('/', async (c) => {
    dos.countRequest(c.get('clientIp'), CREATE_WEIGHT);
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
    if (outcome === 'no_channel') throw channelNotFound();
    if (outcome === 'taken')
      throw new HttpError(409, 'step_taken', 'this step was written already');
    return c.body(null, 204);
  });

  app.get('/:channel/:step', async (c) => {
    const step = validStep(c.req.param('step'));
    const outcome = await withCache(() => channels.read(c.req.param('channel'), step));
    if (outcome.kind === 'no_channel') throw channelNotFound();
    if (outcome.kind === 'not_ready') {
      dos.excuse(c);
      throw new HttpError(404, 'step_not_ready', 'this step has not been written yet; poll again');
    }
    c.header('Content-Type', 'application/json');
    return c.body(outcome.json);
  });

  return app;
}
