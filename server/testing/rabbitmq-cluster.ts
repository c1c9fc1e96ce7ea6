// RabbitMQ nodes of a test's own — one, or a cluster of three — for fault tests that kill
// nodes, restart them and raise resource alarms. They never touch the node on 5672 that
// every other test (and CI) shares: own node names, own ports (AMQP and Erlang
// distribution), own data and log directories under the system temp dir, own Erlang
// cookie, own configuration file (the system's would make them listen on 5672).
//
// Nodes run `rabbitmq-server` from the RabbitMQ package in the foreground (the script
// `exec`s the Erlang VM, so the child's pid is the node's: SIGKILL is a real crash). As
// root, as scripts/services.sh runs RabbitMQ's own node, they run as root with the temp
// dir as HOME; rabbitmqctl is called the same way so it finds the same cookie.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort } from './ports.js';

const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
const START_TIMEOUT_MS = 60_000;

/**
 * Nodes still running when the test process ends (a failed or timed-out test): killed, never
 * left over. On a signal the signal is raised again once they are gone, so the process ends
 * as it would have.
 */
const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killRunning);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killRunning();
    process.kill(process.pid, signal);
  });
}

export class RabbitNode {
  private child: ChildProcess | null = null;
  private output = '';

  constructor(
    /** Erlang node name, e.g. `pushtest-1234-ab12-1@localhost`. */
    readonly name: string,
    readonly port: number,
    private readonly distPort: number,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The AMQP URL of this node, as AMQP_URL takes it. */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== null;
  }

  /** The Erlang VM's pid (the script `exec`s it), or null while stopped. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts the node (again: a killed node comes back with its data and rejoins). */
  async start(): Promise<void> {
    if (this.child) return;
    const child = spawn(`${RABBITMQ_BIN}/rabbitmq-server`, [], {
      env: {
        ...this.env,
        RABBITMQ_NODENAME: this.name,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        // Erlang distribution (node to node, and rabbitmqctl) on loopback only, too.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(this.distPort),
        RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(this.dir, 'log'),
        RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
        // With this set the script `exec`s the VM instead of waiting on it in a shell.
        RUNNING_UNDER_SYSTEMD: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    const remember = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-10_000);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await accepts(this.port))) {
      if (!this.child) throw new Error(`RabbitMQ node ${this.name} exited:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${this.name} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9: the node crashes, as a machine losing power would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Runs rabbitmqctl against this node; resolves with its output. */
  ctl(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        `${RABBITMQ_BIN}/rabbitmqctl`,
        ['-n', this.name, ...args],
        { env: this.env, timeout: 30_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`rabbitmqctl ${args.join(' ')}: ${err.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  }

  /**
   * Raises (or clears) a memory alarm on this node: a watermark far below what it uses
   * makes RabbitMQ block every publishing connection of the cluster, as a real alarm does.
   */
  async memoryAlarm(on: boolean): Promise<void> {
    await this.ctl('set_vm_memory_high_watermark', on ? '0.0000001' : '0.4');
  }
}

export class RabbitCluster {
  private constructor(
    readonly nodes: RabbitNode[],
    private readonly dir: string,
  ) {}

  /** Every node's URL, as a comma-separated AMQP_URL takes them. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /**
   * Starts `size` nodes; with more than one, the first starts alone and the others join it
   * as they boot (classic peer discovery), which is quicker than joining by rabbitmqctl.
   */
  static async start(size: 1 | 3): Promise<RabbitCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'push-rabbit-'));
    const home = join(dir, 'home');
    mkdirSync(home);
    const cookie = join(home, '.erlang.cookie');
    writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase());
    chmodSync(cookie, 0o400);
    const envFile = join(dir, 'rabbitmq-env.conf');
    // The system's rabbitmq-env.conf names the shared node; ours names nothing.
    writeFileSync(envFile, '');
    const pluginsFile = join(dir, 'enabled_plugins');
    // No plugins: quicker to start, and the management port would clash between nodes.
    writeFileSync(pluginsFile, '[].\n');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      RABBITMQ_CONF_ENV_FILE: envFile,
      RABBITMQ_ENABLED_PLUGINS_FILE: pluginsFile,
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
    const tag = `pushtest-${process.pid}-${randomBytes(2).toString('hex')}`;
    const nodes: RabbitNode[] = [];
    for (let i = 1; i <= size; i++) {
      const nodeDir = join(dir, `node-${i}`);
      mkdirSync(nodeDir);
      nodes.push(
        new RabbitNode(`${tag}-${i}@localhost`, await freePort(), await freePort(), nodeDir, env),
      );
    }
    for (const node of nodes) {
      const nodeDir = join(dir, `node-${nodes.indexOf(node) + 1}`);
      const lines = [
        `listeners.tcp.1 = 127.0.0.1:${node.port}`,
        // What the node says when it cannot start reaches the test's error message.
        'log.console = true',
        'log.console.level = warning',
        'log.file.level = warning',
      ];
      if (node !== nodes[0]) {
        lines.push(
          'cluster_formation.peer_discovery_backend = classic_config',
          `cluster_formation.classic_config.nodes.1 = ${nodes[0]!.name}`,
          // The first node is up already: nothing to wait for before joining it.
          'cluster_formation.randomized_startup_delay_range.min = 0',
          'cluster_formation.randomized_startup_delay_range.max = 0',
        );
      }
      writeFileSync(join(nodeDir, 'rabbitmq.conf'), `${lines.join('\n')}\n`);
    }
    const cluster = new RabbitCluster(nodes, dir);
    try {
      await nodes[0]!.start();
      await Promise.all(nodes.slice(1).map((n) => n.start()));
      if (size > 1) await cluster.awaitMembers();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Waits until every node runs as a member of one cluster. */
  private async awaitMembers(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const status = JSON.parse(
        await this.nodes[0]!.ctl('cluster_status', '--formatter', 'json'),
      ) as { running_nodes?: string[] };
      const runningNodes = status.running_nodes ?? [];
      if (this.nodes.every((n) => runningNodes.includes(n.name))) return;
      if (Date.now() > deadline) {
        throw new Error(`cluster did not form: running ${runningNodes.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** A running node, to ask things through rabbitmqctl. */
  anyRunning(): RabbitNode {
    const node = this.nodes.find((n) => n.isRunning);
    if (!node) throw new Error('no node of the cluster is running');
    return node;
  }

  /** The node holding the leader of a (quorum) queue, as RabbitMQ reports it. */
  async leaderOf(queue: string): Promise<RabbitNode | undefined> {
    const rows = JSON.parse(
      await this.anyRunning().ctl('list_queues', 'name', 'leader', '--formatter', 'json'),
    ) as Array<{ name: string; leader: string }>;
    const leader = rows.find((r) => r.name === queue)?.leader;
    return this.nodes.find((n) => n.name === leader);
  }

  /** Kills every node and deletes their data. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
