// A memcached of a test's own, on a free loopback port, that the test may stop and start
// again. Tests never touch the shared memcached on 11211: other test files use it at the
// same time.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accepts, freePort } from './ports.js';

export class MemcachedProcess {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<MemcachedProcess> {
    const memcached = new MemcachedProcess(await freePort());
    await memcached.start();
    return memcached;
  }

  /** `host:port`, as the MEMCACHED variable takes it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const asRoot = process.getuid?.() === 0;
    const args = [
      ...(asRoot ? ['-u', 'memcache'] : []),
      '-l',
      '127.0.0.1',
      '-p',
      String(this.port),
    ];
    const child = spawn('memcached', args, { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    for (let i = 0; i < 100; i++) {
      if (await accepts(this.port)) return;
      if (!this.child) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`memcached did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}
