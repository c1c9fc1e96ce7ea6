// The primary process of a node with WORKERS > 1: brings the database schema up to date
// once (workers must not migrate side by side), forks one worker per core sharing the
// port, relays what the workers tell each other (group.ts), forks a replacement for a
// worker that dies, and on SIGTERM lets every worker drain before exiting.
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { openStore } from '../store/open-store.js';
import { GATHER_TIMEOUT_MS, type ToPrimary, type ToWorker } from './group.js';

/** Workers get this long to drain (docs/operations.md) before they are killed. */
const SHUTDOWN_GRACE_MS = 20_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

interface Gathering {
  id: number;
  from: Worker;
  replyId: number;
  waiting: Set<number>;
  values: unknown[];
  timer: NodeJS.Timeout;
}

/** A worker could not start; the message is the worker's own one-line reason. */
export class WorkerStartFailed extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WorkerStartFailed';
  }
}

export interface Primary {
  /** Resolves once every worker listens, with the URL they listen on. */
  ready: Promise<string>;
  stop(): Promise<void>;
}

function send(worker: Worker, message: ToWorker): void {
  if (worker.isConnected()) worker.send(message);
}

export async function startPrimary(config: Config, log: Logger): Promise<Primary> {
  // Migrations run here, once; the workers then find the schema up to date.
  const { store } = await openStore(config.database);
  await store.close();

  const workerIds = new Map<Worker, number>();
  const gatherings = new Map<number, Gathering>();
  let nextGathering = 1;
  let stopping = false;
  let respawnDelay = 1000;
  let markReady: (url: string) => void = () => {};
  let failStart: (err: Error) => void = () => {};
  let started = false;
  const ready = new Promise<string>((resolve, reject) => {
    markReady = (url) => {
      started = true;
      resolve(url);
    };
    failStart = reject;
  });
  const readyIds = new Set<number>();

  const fork = (workerId: number) => {
    const worker = cluster.fork({ PUSH_WORKER_ID: String(workerId) });
    workerIds.set(worker, workerId);
    worker.on('message', (message: ToPrimary) => onMessage(worker, message));
    worker.on('exit', (code, signal) => {
      workerIds.delete(worker);
      for (const g of gatherings.values()) settle(g, worker.id);
      if (stopping) return;
      if (!started) {
        // A worker that cannot start (a setting, an unreachable service) has said why on
        // stderr; starting it again would only say it again.
        stopping = true;
        for (const other of workerIds.keys()) other.process.kill('SIGTERM');
        failStart(
          new WorkerStartFailed(`worker ${workerId} exited (${code ?? signal}) while starting`),
        );
        return;
      }
      log.error(
        { event: 'worker.exited', workerId, code, signal },
        'worker died; starting another',
      );
      setTimeout(() => fork(workerId), respawnDelay).unref();
      respawnDelay = Math.min(respawnDelay * 2, MAX_RESPAWN_DELAY_MS);
    });
  };

  const finish = (g: Gathering) => {
    clearTimeout(g.timer);
    gatherings.delete(g.id);
    send(g.from, { kind: 'gathered', id: g.replyId, values: g.values });
  };

  const settle = (g: Gathering, workerPid: number) => {
    if (g.waiting.delete(workerPid) && g.waiting.size === 0) finish(g);
  };

  const onMessage = (worker: Worker, message: ToPrimary) => {
    switch (message.kind) {
      case 'ready': {
        readyIds.add(workerIds.get(worker) ?? 0);
        if (readyIds.size >= config.workers) markReady(message.url);
        // A healthy start resets the respawn backoff.
        respawnDelay = 1000;
        return;
      }
      case 'failed':
        if (!started) {
          stopping = true;
          for (const other of workerIds.keys()) other.process.kill('SIGTERM');
          failStart(new WorkerStartFailed(message.reason));
        }
        return;
      case 'broadcast':
        for (const other of workerIds.keys()) {
          if (other !== worker) send(other, { kind: 'broadcast', message: message.message });
        }
        return;
      case 'gather': {
        const id = nextGathering++;
        const g: Gathering = {
          id,
          from: worker,
          replyId: message.id,
          waiting: new Set([...workerIds.keys()].map((w) => w.id)),
          values: [],
          timer: setTimeout(() => finish(g), GATHER_TIMEOUT_MS),
        };
        gatherings.set(id, g);
        for (const w of workerIds.keys()) send(w, { kind: 'ask', id, topic: message.topic });
        return;
      }
      case 'answer': {
        const g = gatherings.get(message.id);
        if (!g) return;
        g.values.push(message.value);
        settle(g, worker.id);
        return;
      }
    }
  };

  for (let id = 1; id <= config.workers; id++) fork(id);
  // Certificate renewals signal the process the operator started: the workers hold the
  // TLS servers, so they are the ones to read the files again. (Unhandled, SIGHUP would
  // also end this process.)
  const relaySighup = () => {
    for (const worker of workerIds.keys()) worker.process.kill('SIGHUP');
  };
  process.on('SIGHUP', relaySighup);

  return {
    ready,
    async stop() {
      stopping = true;
      process.off('SIGHUP', relaySighup);
      const workers = [...workerIds.keys()];
      const exited = Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) =>
              w.isDead() ? resolve() : w.once('exit', () => resolve()),
            ),
        ),
      );
      for (const w of workers) send(w, { kind: 'shutdown' });
      const killer = setTimeout(() => {
        for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
      }, SHUTDOWN_GRACE_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}
