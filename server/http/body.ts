import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from './app-env.js';
import { badRequest, describeZodError, HttpError } from './errors.js';

function concat(chunks: Uint8Array[], size: number): Buffer {
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return Buffer.from(only.buffer, only.byteOffset, only.byteLength);
  }
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** node:http's IncomingMessage, or node:http2's compatibility request. */
export type NodeRequest = Readable & { readonly headers: IncomingHttpHeaders };

const tooLarge = (limit: number) =>
  new HttpError(413, 'payload_too_large', `the body must be at most ${limit} bytes`);

/** The sender stopped before the body it announced was complete. */
const incomplete = () =>
  new HttpError(400, 'incomplete_body', 'the request body ended before it was complete');

/** Refuses early, before reading anything, when the declared length is over the limit. */
function checkDeclaredLength(declared: string | undefined, limit: number): void {
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > limit) {
    throw tooLarge(limit);
  }
}

/**
 * Reads the Node request directly: the web-stream view of it (Request.body) costs more CPU
 * than all the rest of a push (measured with `npm run bench` and --cpu-prof). Works for
 * node:http requests and node:http2's compatibility requests alike.
 */
export function readNodeBody(incoming: NodeRequest, limit: number): Promise<Buffer> {
  const declared = incoming.headers['content-length'];
  try {
    checkDeclaredLength(typeof declared === 'string' ? declared : undefined, limit);
  } catch (err) {
    return Promise.reject(err);
  }
  if (incoming.readableEnded) return Promise.resolve(Buffer.alloc(0));
  // The sender may have gone while the route did other work first (checking a password, looking
  // up an endpoint): the 'aborted' and 'close' events are over by now and would never reach
  // the listeners below, leaving the request waiting forever, uncounted.
  if (incoming.readableAborted || incoming.destroyed) return Promise.reject(incomplete());
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        incoming.resume(); // discard the rest; the 413 answer goes out meanwhile
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(concat(chunks, size));
    };
    // An upload cut short is the sender's doing, not a server failure: a 400 (which the
    // DoS defense counts as bad) that may not even reach a sender who already left.
    const onAbort = () => {
      cleanup();
      reject(incomplete());
    };
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onAbort);
      incoming.off('aborted', onAbort);
      incoming.off('close', onClose);
    };
    const onClose = () => {
      if (!incoming.readableEnded) onAbort();
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onAbort);
    incoming.on('aborted', onAbort);
    incoming.on('close', onClose);
  });
}

/**
 * Reads at most `limit` bytes of the request body. Refuses early on a Content-Length
 * over the limit, and stops reading a chunked body as soon as it passes it.
 */
export async function readBodyLimited(c: Context<AppEnv>, limit: number): Promise<Uint8Array> {
  checkDeclaredLength(c.req.header('content-length'), limit);
  const incoming = c.env?.incoming;
  if (incoming && 'socket' in incoming && !incoming.readableEnded) {
    return readNodeBody(incoming as IncomingMessage, limit);
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
      throw tooLarge(limit);
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
