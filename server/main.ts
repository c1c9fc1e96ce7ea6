// Entry point: read the configuration, start, and stop cleanly on SIGINT/SIGTERM. Any
// problem that stops the start is reported in one line naming the variable involved.
//
// With WORKERS > 1 (the default on a machine with several cores) this process becomes the
// primary of node:cluster and forks the workers, each of which runs startServer on the
// shared port; with WORKERS=1 it serves by itself.
import cluster from 'node:cluster';
import { loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { startServer } from './server.js';
import { StartupError } from './startup-error.js';
import { soloGroup, type ToPrimary, type ToWorker, workerGroup } from './workers/group.js';
import { startPrimary, WorkerStartFailed } from './workers/primary.js';

function announce(url: string, publicUrl: string, workers: number): void {
  console.log(`push server: listening on ${url} (endpoints under ${publicUrl}/push/)`);
  if (workers > 1) console.log(`push server: ${workers} worker processes share the port`);
}

function onStopSignal(stop: () => Promise<void>): void {
  const once = () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', once);
  process.once('SIGTERM', once);
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.workers > 1 && cluster.isPrimary) {
    const primary = await startPrimary(config, createLogger(config.logLevel));
    onStopSignal(() => primary.stop());
    announce(await primary.ready, config.publicUrl, config.workers);
    return;
  }
  if (cluster.isWorker) {
    const send = (message: ToPrimary) => process.send?.(message);
    const group = workerGroup({
      workerId: config.workerId ?? 1,
      size: config.workers,
      send,
      onMessage: (listener) => process.on('message', (m: ToWorker) => listener(m)),
    });
    const server = await startServer(config, { group });
    const stop = () => server.close();
    process.on('message', (m: ToWorker) => {
      if (m.kind === 'shutdown') void stop().then(() => process.exit(0));
    });
    onStopSignal(stop);
    send({ kind: 'ready', url: server.url });
    return;
  }
  const server = await startServer(config, { group: soloGroup() });
  onStopSignal(() => server.close());
  announce(server.url, config.publicUrl, 1);
}

function reasonOf(err: unknown): string {
  if (err instanceof StartupError || err instanceof WorkerStartFailed) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

main().catch((err: unknown) => {
  const reason = reasonOf(err);
  if (cluster.isWorker) {
    // The primary prints it, once for the node rather than once per worker.
    process.send?.({ kind: 'failed', reason } satisfies ToPrimary, () => process.exit(1));
    return;
  }
  console.error(`push server: cannot start: ${reason}`);
  process.exit(1);
});
