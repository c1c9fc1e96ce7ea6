import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from './app-env.js';
import { badRequest, describeZodError, HttpError } from './errors.js';

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Reads the Node request directly: the web-stream view of it (Request.body) costs more CPU
 * than all the rest of a push (measured with `npm run bench` and --cpu-prof).
 */
function readIncoming(
  incoming: IncomingMessage,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        incoming.resume(); // discard the rest; the 413 answer goes out meanwhile
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

/**
 * Reads at most `limit` bytes of the request body. Refuses early on a Content-Length
 * over the limit, and stops reading a chunked body as soon as it passes it.
 */
export async function readBodyLimited(c: Context<AppEnv>, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new HttpError(413, 'payload_too_large', `the body must be at most ${limit} bytes`);
  const declared = c.req.header('content-length');
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > limit)
    throw tooLarge();
  const incoming = c.env?.incoming;
  if (incoming && 'socket' in incoming && !incoming.readableEnded) {
    return readIncoming(incoming as IncomingMessage, limit, tooLarge);
  }
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // The answer is 413 either way; a stream that fails to cancel is already finished.
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

const MAX_JSON_BODY = 64 * 1024;

/** Parses a JSON body and validates it; every failure is a 400 in the protocol's shape. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  limit = MAX_JSON_BODY,
): Promise<z.output<S>> {
  const bytes = await readBodyLimited(c, limit);
  let value: unknown;
  try {
    value =
      bytes.byteLength === 0
        ? {}
        : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw badRequest('the body must be valid JSON', 'invalid_json');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  return parsed.data;
}
