// Devices spread over several load-generator processes (bench/fleet-process.ts), each on a
// loopback address of its own, so that tens of thousands of sockets neither share one
// process's event loop and file limit nor run out of source ports.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FleetDevice {
  clientId: string;
  clientToken: string;
}

export type FleetCommand =
  | { type: 'init'; serverUrl: string; localAddress: string; devices: FleetDevice[] }
  | { type: 'connect'; deadlineMs: number }
  | { type: 'herd'; deadlineMs: number }
  | { type: 'track'; on: boolean }
  | { type: 'flush' }
  | { type: 'close' };

export type FleetReport =
  | { type: 'ready' }
  | { type: 'connected'; failed: number; seconds: number; retries: number }
  | { type: 'arrivals'; arrivals: Array<[string, number]>; drops: number }
  | { type: 'closed' };

export interface ConnectOutcome {
  devices: number;
  failed: number;
  /** Refusals (1013) and errors the devices retried after a backoff. */
  retries: number;
  seconds: number;
}

/** Devices per load-generator process: well below the 20,000 open files a process may have. */
export const DEVICES_PER_FLEET = 12_500;

const ENTRY = fileURLToPath(new URL('./fleet-process.ts', import.meta.url));

class FleetChild {
  private readonly waiting: Array<(report: FleetReport) => void> = [];

  constructor(readonly child: ChildProcess) {
    child.on('message', (report: FleetReport) => this.waiting.shift()?.(report));
  }

  ask(command: FleetCommand): Promise<FleetReport> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(command);
    });
  }

  tell(command: FleetCommand): void {
    this.child.send(command);
  }
}

export class Fleets {
  private constructor(
    private readonly children: FleetChild[],
    readonly devices: number,
  ) {}

  static async start(serverUrl: string, devices: readonly FleetDevice[]): Promise<Fleets> {
    const count = Math.max(1, Math.ceil(devices.length / DEVICES_PER_FLEET));
    const children: FleetChild[] = [];
    for (let k = 0; k < count; k++) {
      const child = new FleetChild(
        fork(ENTRY, [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      const slice = devices.filter((_, i) => i % count === k);
      await child.ask({
        type: 'init',
        serverUrl,
        // 127.0.0.1 is the load generator's and the admin's; devices come from .2 on.
        localAddress: `127.0.0.${2 + k}`,
        devices: slice,
      });
      children.push(child);
    }
    return new Fleets(children, devices.length);
  }

  private async all(command: FleetCommand): Promise<ConnectOutcome> {
    const started = performance.now();
    const reports = await Promise.all(this.children.map((c) => c.ask(command)));
    let failed = 0;
    let retries = 0;
    for (const r of reports) {
      if (r.type !== 'connected') throw new Error(`fleet answered ${r.type}`);
      failed += r.failed;
      retries += r.retries;
    }
    return {
      devices: this.devices,
      failed,
      retries,
      seconds: (performance.now() - started) / 1000,
    };
  }

  connect(deadlineMs: number): Promise<ConnectOutcome> {
    return this.all({ type: 'connect', deadlineMs });
  }

  herd(deadlineMs: number): Promise<ConnectOutcome> {
    return this.all({ type: 'herd', deadlineMs });
  }

  track(on: boolean): void {
    for (const c of this.children) c.tell({ type: 'track', on });
  }

  /** Notification arrivals (id, epoch ms) since the last call, and devices dropped so far. */
  async arrivals(): Promise<{ arrivals: Array<[string, number]>; drops: number }> {
    const reports = await Promise.all(this.children.map((c) => c.ask({ type: 'flush' })));
    const arrivals: Array<[string, number]> = [];
    let drops = 0;
    for (const r of reports) {
      if (r.type !== 'arrivals') continue;
      arrivals.push(...r.arrivals);
      drops += r.drops;
    }
    return { arrivals, drops };
  }

  async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.ask({ type: 'close' }).catch(() => null)));
  }
}
