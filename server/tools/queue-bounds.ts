// `npm run queue-bounds [-- --print] [-- --node rabbit@host] [-- --rabbitmqctl /path]`:
// bounds every client queue of this deployment, including those made before queues were
// bounded, with a RabbitMQ operator policy (server/broker/queue-bounds.ts says why a policy).
// Reads the same settings as the server (QUEUE_MAX_MESSAGES, QUEUE_MAX_BYTES, and the vhost
// of AMQP_URL) and runs rabbitmqctl, which must reach the RabbitMQ node: run it on that
// machine (as root or the rabbitmq user), or with --node and the node's Erlang cookie. The
// management plugin is not needed. --print prints the command instead, to run elsewhere.
// Setting the policy again (new values) replaces it; it is safe to run any number of times.
import { spawn } from 'node:child_process';
import { boundsPolicyCommand, vhostOf } from '../broker/queue-bounds.js';
import { loadConfig } from '../config.js';
import { StartupError } from '../startup-error.js';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const shellQuote = (arg: string) => (/^[A-Za-z0-9_./@=:-]+$/.test(arg) ? arg : `'${arg}'`);

function main(): Promise<number> {
  const config = loadConfig();
  const bounds = {
    maxMessages: config.limits.queueMaxMessages,
    maxBytes: config.limits.queueMaxBytes,
  };
  const node = option('--node');
  const args = [
    ...(node ? ['-n', node] : []),
    ...boundsPolicyCommand(bounds, vhostOf(config.amqpUrls[0]!)),
  ];
  const rabbitmqctl = option('--rabbitmqctl') ?? 'rabbitmqctl';
  if (process.argv.includes('--print')) {
    console.log([rabbitmqctl, ...args].map(shellQuote).join(' '));
    return Promise.resolve(0);
  }
  return new Promise((resolve) => {
    const child = spawn(rabbitmqctl, args, { stdio: 'inherit' });
    child.on('error', (err) => {
      console.error(`queue-bounds: cannot run ${rabbitmqctl}: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(`queue-bounds: ${err instanceof StartupError ? err.message : String(err)}`);
    process.exit(1);
  });
