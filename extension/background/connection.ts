// Keeps exactly one PushClient running while the user is opted in and signed in, and none
// otherwise. sync() is cheap and idempotent: it runs at every wake-up of the background
// (start, alarm, settings change), which is how a stopped Chromium service worker reconnects.
import type { NotificationFrame } from '../../shared/protocol.js';
import type { PushClientState } from '../../shared/push-client.js';
import type { ConnectionState } from '../messaging/ui-api.js';
import type { SignedInAccount } from './account-store.js';
import type { SerialQueue } from './serial.js';

export interface ClientLike {
  start(): void;
  stop(): Promise<void>;
}

export interface ClientOptions {
  serverUrl: string;
  clientToken: string;
  /** Resolves once the frame is handled (its outcome is not needed); then it is acked. */
  onNotification: (frame: NotificationFrame) => Promise<unknown>;
  onStateChange: (state: PushClientState) => void;
  onUnauthorized: () => void;
}

export interface ConnectionDeps {
  /** The account to connect, or null when off or signed out. */
  wanted: () => Promise<SignedInAccount | null>;
  createClient: (options: ClientOptions) => ClientLike;
  /** Resolves once the frame is handled (its outcome is not needed); then it is acked. */
  onNotification: (frame: NotificationFrame) => Promise<unknown>;
  onUnauthorized: () => Promise<void>;
  publishState: (state: ConnectionState) => Promise<void>;
  queue: SerialQueue;
}

export function connectionStateOf(state: PushClientState): ConnectionState {
  switch (state) {
    case 'connected':
      return 'connected';
    case 'idle':
    case 'connecting':
      return 'connecting';
    case 'backoff':
      return 'offline';
    case 'unauthorized':
      return 'unauthorized';
    case 'stopped':
      return 'off';
  }
}

export class ConnectionManager {
  #client: ClientLike | null = null;
  /** Which server and token the running client uses. */
  #key: string | null = null;

  constructor(private readonly deps: ConnectionDeps) {}

  get running(): boolean {
    return this.#client !== null;
  }

  sync(): Promise<void> {
    return this.deps.queue.run(async () => {
      const account = await this.deps.wanted();
      const key = account ? `${account.serverUrl}\n${account.clientToken}` : null;
      if (key === this.#key && this.#client) return;
      await this.#stop();
      if (!account || key === null) {
        await this.deps.publishState('off');
        return;
      }
      this.#start(account, key);
    });
  }

  async #stop(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#key = null;
    if (client) await client.stop();
  }

  #start(account: SignedInAccount, key: string): void {
    const client = this.deps.createClient({
      serverUrl: account.serverUrl,
      clientToken: account.clientToken,
      onNotification: this.deps.onNotification,
      onStateChange: (state) => {
        // Stopped clients keep reporting; only the current one speaks for the connection.
        if (this.#client === client) void this.deps.publishState(connectionStateOf(state));
      },
      onUnauthorized: () => {
        if (this.#client !== client) return;
        this.#client = null;
        this.#key = null;
        void this.deps.onUnauthorized();
      },
    });
    this.#client = client;
    this.#key = key;
    client.start();
  }
}
