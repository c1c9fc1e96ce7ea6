// (b) The full path through the server: POST /push/{token} over HTTP keep-alive from the
// load generator → POST Office → RabbitMQ (confirmed) → Client Agent → WebSocket → the
// client acks. Latency is taken in this one process, from just before the POST is written
// to the notification's arrival on the client's socket, so both ends use the same clock.

import type { ServerProcess } from '../server/testing/server-process.js';
import { decodeBase64Url, decryptPushPayload } from '../shared/crypto/index.js';
import { startCpuMeter } from './cpu.js';
import { DeliveryMatcher, perSecond, summarize } from './latency.js';
import { type LoadOutcome, type LoadRequest, runLoad } from './load.js';
import { type PhaseResult, type Shape, waitUntil } from './phase.js';
import type { BenchUser } from './seed.js';
import { connectFleet } from './ws-fleet.js';

export interface FullPathOptions {
  server: ServerProcess;
  users: readonly BenchUser[];
  warmup: number;
  messages: number;
  concurrency: number;
  /** POSTs sent one at a time after the timed phase, for latency without queueing. */
  probe: number;
  prefetch: number;
  rabbitPid: number | null;
  log(line: string): void;
}

const PUSH_HEADERS = {
  ttl: '3600',
  'content-encoding': 'aes128gcm',
  'content-type': 'application/octet-stream',
} as const;

/** `…/m/{messageId}` → messageId. */
function messageIdOf(location: string | undefined): string | null {
  if (!location) return null;
  const slash = location.lastIndexOf('/m/');
  return slash < 0 ? null : location.slice(slash + 3);
}

interface Round {
  load: LoadOutcome;
  accepted: number;
  acceptLatencies: number[];
  missingLocation: number;
}

async function postRound(
  options: FullPathOptions,
  { count, concurrency }: { count: number; concurrency: number },
  matcher: DeliveryMatcher,
): Promise<Round> {
  const { users } = options;
  const clientsPerUser = users[0]!.clients.length;
  const acceptLatencies: number[] = [];
  let accepted = 0;
  let missingLocation = 0;
  const load = await runLoad({
    target: { host: options.server.host, port: options.server.port },
    total: count,
    concurrency,
    build(i): LoadRequest {
      // Round-robin over the users, so every subscription gets the same share.
      const user = users[i % users.length]!;
      return {
        path: `/push/${user.token}`,
        headers: PUSH_HEADERS,
        body: user.bodies[Math.floor(i / users.length) % user.bodies.length]!,
      };
    },
    onResponse(_i, startedAt, res) {
      if (res.status !== 201) return;
      acceptLatencies.push(performance.now() - startedAt);
      const id = messageIdOf(res.location);
      if (id === null) {
        missingLocation += 1;
        return;
      }
      accepted += 1;
      matcher.started(id, startedAt, clientsPerUser);
    },
  });
  return { load, accepted, acceptLatencies, missingLocation };
}

function describeStatuses(statuses: Record<number, number>): string[] {
  return Object.entries(statuses)
    .filter(([status]) => status !== '201')
    .map(([status, n]) => `${n} answers ${status}`);
}

export async function runFullPath(options: FullPathOptions): Promise<PhaseResult> {
  const { users } = options;
  const clientsPerUser = users[0]!.clients.length;
  const shape: Shape = { users: users.length, clientsPerUser };
  const clients = users.flatMap((u) => u.clients);
  options.log(`connecting ${clients.length} WebSocket clients`);
  const fleet = await connectFleet(options.server.url, clients);
  try {
    // Warm-up: also proves the bodies arrive intact and decrypt with the subscription's
    // keys (once, outside the timed phase, so decryption costs nothing there).
    const warmMatcher = new DeliveryMatcher();
    /** null until the first warm-up delivery was tried; then '' (it decrypted) or why not. */
    let decryptProblem: string | null = null;
    fleet.onNotification = (clientIndex, n, at) => {
      warmMatcher.delivered(n.id, at);
      if (decryptProblem !== null) return;
      const user = users[Math.floor(clientIndex / clientsPerUser)]!;
      if (!user.keys) {
        decryptProblem = 'the bench user has no keys to decrypt with';
        return;
      }
      try {
        decryptPushPayload({
          body: decodeBase64Url(n.data ?? ''),
          uaPrivateKey: user.keys.privateKey,
          uaPublicKey: user.keys.publicKey,
          authSecret: user.keys.auth,
        });
        decryptProblem = '';
      } catch (err) {
        decryptProblem = `first delivery did not decrypt: ${String(err)}`;
      }
    };
    options.log(`warm-up: ${options.warmup} POSTs`);
    const loaded = { concurrency: options.concurrency };
    const warm = await postRound(options, { ...loaded, count: options.warmup }, warmMatcher);
    await waitUntil(() => warmMatcher.matched >= warm.accepted * clientsPerUser, 60_000);
    if (warm.accepted < options.warmup) {
      throw new Error(
        `warm-up: only ${warm.accepted}/${options.warmup} POSTs accepted ` +
          `(${[...describeStatuses(warm.load.statuses), warm.load.firstError ?? ''].join(' ')})\n` +
          options.server.output(),
      );
    }

    options.log(`timed: ${options.messages} POSTs, ${options.concurrency} in flight`);
    const matcher = new DeliveryMatcher();
    fleet.onNotification = (_c, n, at) => matcher.delivered(n.id, at);
    const cpu = startCpuMeter(options.server.pids(), options.rabbitPid);
    const round = await postRound(options, { ...loaded, count: options.messages }, matcher);
    const expected = round.accepted * clientsPerUser;
    const complete = await waitUntil(() => matcher.matched >= expected, 60_000);
    const cpuShare = cpu.stop();

    options.log(`probe: ${options.probe} POSTs one at a time`);
    const probe = new DeliveryMatcher();
    fleet.onNotification = (_c, n, at) => probe.delivered(n.id, at);
    const probeRound = await postRound(options, { count: options.probe, concurrency: 1 }, probe);
    await waitUntil(() => probe.matched >= probeRound.accepted * clientsPerUser, 60_000);

    const end = Math.max(round.load.finishedAt, matcher.lastDeliveryAt);
    const seconds = (end - round.load.startedAt) / 1000;

    const problems = describeStatuses(round.load.statuses);
    if (decryptProblem === null) problems.push('no warm-up delivery to decrypt');
    else if (decryptProblem) problems.push(decryptProblem);
    if (round.load.transportErrors) {
      problems.push(`${round.load.transportErrors} HTTP errors (${round.load.firstError})`);
    }
    if (round.missingLocation) problems.push(`${round.missingLocation} 201s without Location`);
    if (!complete) problems.push(`${expected - matcher.matched} deliveries missing`);
    if (matcher.extra + matcher.unknownDeliveries > 0) {
      problems.push(`${matcher.extra + matcher.unknownDeliveries} unexpected deliveries`);
    }
    if (fleet.unexpectedCloses) problems.push(`${fleet.unexpectedCloses} sockets closed`);
    return {
      path: 'server',
      shape,
      messages: round.accepted,
      deliveries: matcher.matched,
      expectedDeliveries: options.messages * clientsPerUser,
      seconds,
      messagesPerSecond: perSecond(round.accepted, seconds),
      deliveriesPerSecond: perSecond(matcher.matched, seconds),
      acceptedPerSecond: perSecond(
        round.accepted,
        (round.load.finishedAt - round.load.startedAt) / 1000,
      ),
      deliveryLatencyMs: summarize(matcher.latencies),
      acceptLatencyMs: summarize(round.acceptLatencies),
      lightLatencyMs: summarize(probe.latencies),
      inFlight: options.concurrency,
      prefetch: options.prefetch,
      problems,
      cpu: cpuShare,
    };
  } finally {
    await fleet.close();
  }
}
