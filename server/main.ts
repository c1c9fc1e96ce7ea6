// Entry point: read the configuration, start, and stop cleanly on SIGINT/SIGTERM. Any
// problem that stops the start is reported in one line naming the variable involved.
import { loadConfig } from './config.js';
import { startServer } from './server.js';
import { StartupError } from './startup-error.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const server = await startServer(config);
  console.log(
    `push server: listening on ${server.url} (endpoints under ${config.publicUrl}/push/)`,
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) {
    console.error(`push server: cannot start: ${err.message}`);
  } else {
    console.error('push server: cannot start:', err);
  }
  process.exit(1);
});
