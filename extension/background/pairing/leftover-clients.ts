// The clients the signed-in device registered for a new device whose pairing has neither been
// confirmed (the sealed `done`) nor undone yet. A run keeps its client here from before it sends
// the payload until it knows the outcome, so a background that is stopped in between (a
// Chromium service worker, a Firefox event page) finds it when it starts again and deletes it
// (PairingRequests.recover): the account keeps no half-added device.
//
// Kept in storage.session: it survives both kinds of background restart, like the pairing's
// progress next to it, and it is gone after the browser quits, so a device the user has been
// using since is never deleted days later. Only the id: this device deletes the client with
// its own token (docs/protocol.md §2), so the new device's token is never written down here.
import { z } from 'zod';
import { SerialQueue } from '../serial.js';
import type { KeyValueArea } from '../storage-area.js';

const KEY = 'pairingLeftovers';

const LeftoverClient = z.object({
  /** The server and user it was registered with: only that account's token may delete it. */
  serverUrl: z.string(),
  username: z.string(),
  clientId: z.string(),
  /** Its name in the device list, for the message that tells the user what became of it. */
  deviceName: z.string(),
  registeredAt: z.string(),
});
export type LeftoverClient = z.infer<typeof LeftoverClient>;

const Stored = z.array(LeftoverClient);

export class LeftoverClients {
  // A list, not one entry: a client whose deletion failed stays until a later start removes
  // it, also while the user starts another pairing. Its rewrites go through one queue.
  readonly #queue = new SerialQueue();

  constructor(private readonly area: KeyValueArea) {}

  async all(): Promise<LeftoverClient[]> {
    const parsed = Stored.safeParse(await this.area.get(KEY));
    return parsed.success ? parsed.data : [];
  }

  add(client: LeftoverClient): Promise<void> {
    return this.#queue.run(async () => {
      const rest = (await this.all()).filter((c) => c.clientId !== client.clientId);
      await this.area.set(KEY, [...rest, client]);
    });
  }

  remove(clientId: string): Promise<void> {
    return this.#queue.run(async () => {
      const rest = (await this.all()).filter((c) => c.clientId !== clientId);
      await (rest.length ? this.area.set(KEY, rest) : this.area.remove(KEY));
    });
  }
}
