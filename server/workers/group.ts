// The worker processes of one node, as each of them sees the others. With WORKERS > 1 the
// node runs one process per core (node:cluster, sharing the port); what must be right for
// the node as a whole — DoS counts per address, metrics, the admin page's figures — goes
// through this: a broadcast to the siblings, or a question to all (this one included)
// gathered into one answer. The primary relays; it holds no state of its own.
//
// With one process (WORKERS=1, and every in-process test server) the group is just that
// process: broadcasts go nowhere and questions are answered locally.

/** What one worker tells its siblings. */
export type GroupBroadcast = {
  topic: 'dos-counts';
  /** Requests and bad requests per address since the last report. */
  counts: Array<[ip: string, requests: number, badRequests: number]>;
};

export type GroupTopic = 'metrics' | 'node-figures' | 'push-totals';

export interface ProcessGroup {
  /** 1-based, stable for the life of the process; 1 does node-wide chores (e.g. purges). */
  readonly workerId: number;
  readonly size: number;
  broadcast(message: GroupBroadcast): void;
  onBroadcast(handler: (message: GroupBroadcast) => void): void;
  /** Registers this process's answer to `topic`. */
  answer(topic: GroupTopic, handler: () => unknown): void;
  /** Every process's answer to `topic` (processes that do not answer in time are left out). */
  gather(topic: GroupTopic): Promise<unknown[]>;
}

/** Messages between a worker and the primary (node:cluster IPC, JSON-serialised). */
export type ToPrimary =
  | { kind: 'ready'; url: string }
  /** The worker could not start; `reason` is the one line to print. */
  | { kind: 'failed'; reason: string }
  | { kind: 'broadcast'; message: GroupBroadcast }
  | { kind: 'gather'; id: number; topic: GroupTopic }
  | { kind: 'answer'; id: number; value: unknown };

export type ToWorker =
  | { kind: 'broadcast'; message: GroupBroadcast }
  | { kind: 'ask'; id: number; topic: GroupTopic }
  | { kind: 'gathered'; id: number; values: unknown[] }
  | { kind: 'shutdown' };

/** How long a gather waits for slow siblings before answering with what it has. */
export const GATHER_TIMEOUT_MS = 2000;

class Answers {
  private readonly handlers = new Map<GroupTopic, () => unknown>();

  set(topic: GroupTopic, handler: () => unknown): void {
    this.handlers.set(topic, handler);
  }

  async of(topic: GroupTopic): Promise<unknown> {
    const handler = this.handlers.get(topic);
    return handler ? await handler() : null;
  }
}

/** The group of a process that runs alone. */
export function soloGroup(): ProcessGroup {
  const answers = new Answers();
  return {
    workerId: 1,
    size: 1,
    broadcast() {},
    onBroadcast() {},
    answer: (topic, handler) => answers.set(topic, handler),
    gather: async (topic) => [await answers.of(topic)],
  };
}

/** The group of a node:cluster worker; `send` is `process.send` of the worker. */
export function workerGroup(options: {
  workerId: number;
  size: number;
  send: (message: ToPrimary) => void;
  onMessage: (listener: (message: ToWorker) => void) => void;
}): ProcessGroup {
  const answers = new Answers();
  const listeners: Array<(message: GroupBroadcast) => void> = [];
  const pending = new Map<number, (values: unknown[]) => void>();
  let nextId = 1;

  options.onMessage((message) => {
    switch (message.kind) {
      case 'broadcast':
        for (const listener of listeners) listener(message.message);
        return;
      case 'ask':
        answers.of(message.topic).then(
          (value) => options.send({ kind: 'answer', id: message.id, value }),
          () => options.send({ kind: 'answer', id: message.id, value: null }),
        );
        return;
      case 'gathered': {
        const resolve = pending.get(message.id);
        pending.delete(message.id);
        resolve?.(message.values);
        return;
      }
      case 'shutdown':
        return; // handled by the worker's entry point
    }
  });

  return {
    workerId: options.workerId,
    size: options.size,
    broadcast: (message) => options.send({ kind: 'broadcast', message }),
    onBroadcast: (handler) => listeners.push(handler),
    answer: (topic, handler) => answers.set(topic, handler),
    gather(topic) {
      const id = nextId++;
      return new Promise((resolve) => {
        // The primary answers within GATHER_TIMEOUT_MS; this only guards against its loss.
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve([]);
        }, GATHER_TIMEOUT_MS * 2);
        pending.set(id, (values) => {
          clearTimeout(timer);
          resolve(values);
        });
        options.send({ kind: 'gather', id, topic });
      });
    },
  };
}
