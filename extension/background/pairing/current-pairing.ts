// The one pairing this browser runs at a time, and what the pages see of it. The run lives in
// the background, so the pairing page may close and reopen; its progress is mirrored into
// storage.session, so a background that was stopped mid-pairing (a Chromium service worker
// restart) can say "interrupted" instead of pretending to still wait.
import { z } from 'zod';
import {
  IDLE_PAIRING,
  type PairingRole,
  type PairingStatus,
  type PairingView,
} from '../../messaging/ui-api.js';
import { toUiError } from '../errors.js';
import { SerialQueue } from '../serial.js';
import type { KeyValueArea } from '../storage-area.js';
import type { PairingProgress } from './progress.js';
import { RelayError } from './relay-client.js';

export type PairingRun = (
  signal: AbortSignal,
  progress: (update: PairingProgress) => void,
) => Promise<{ deviceName: string; username?: string }>;

const KEY = 'pairing';
const STATUSES = [
  'idle',
  'starting',
  'waiting',
  'verifying',
  'registering',
  'finishing',
  'done',
  'failed',
  'cancelled',
] as const satisfies readonly PairingStatus[];
const RUNNING: ReadonlySet<PairingStatus> = new Set([
  'starting',
  'waiting',
  'verifying',
  'registering',
  'finishing',
]);

const INTERRUPTED_LEAD = 'Pairing was interrupted (the add-on was restarted).';

/** The error of a pairing that a stopped background left; `detail` says what was undone. */
export function interrupted(detail?: string): { code: string; message: string } {
  return {
    code: 'interrupted',
    message: `${INTERRUPTED_LEAD}${detail ? ` ${detail}` : ''} Please start again.`,
  };
}

export const INTERRUPTED = interrupted();

interface Current {
  id: number;
  view: PairingView;
  controller: AbortController;
  finished: Promise<void>;
}

export function isRunning(view: PairingView): boolean {
  return RUNNING.has(view.status);
}

export class CurrentPairing {
  #current: Current | null = null;
  #nextId = 1;
  readonly #writes = new SerialQueue();

  constructor(private readonly area: KeyValueArea) {}

  async view(): Promise<PairingView> {
    if (this.#current) return { ...this.#current.view };
    const stored = parseView(await this.area.get(KEY));
    if (!stored) return { ...IDLE_PAIRING };
    if (!isRunning(stored)) return stored;
    // Stored as running, but no run in memory: the background stopped in the middle. The
    // J-PAKE secrets died with it, so the only way on is a new pairing.
    const interrupted: PairingView = { ...stored, status: 'failed', error: INTERRUPTED };
    await this.#persist(interrupted);
    return interrupted;
  }

  /**
   * After a restart: adds to the "interrupted" message of the add-device pairing the stopped
   * background left what became of the device it had added half-way. Leaves a newer pairing,
   * and one that ended before the stop, as they are.
   */
  explainInterrupted(detail: string): Promise<void> {
    // Checked inside the queue, so a pairing started meanwhile is seen and not overwritten.
    return this.#writes.run(async () => {
      if (this.#current) return;
      const stored = parseView(await this.area.get(KEY));
      const left = stored !== null && (isRunning(stored) || stored.error?.code === 'interrupted');
      if (!left || stored.role !== 'add-device') return;
      const view: PairingView = { ...stored, status: 'failed', error: interrupted(detail) };
      await this.area.set(KEY, { ...view, code: null });
    });
  }

  /** Starts `run`, cancelling a pairing still running (its channel is closed by its abort). */
  start(role: PairingRole, run: PairingRun): PairingView {
    this.#current?.controller.abort();
    const id = this.#nextId++;
    const controller = new AbortController();
    const current: Current = {
      id,
      controller,
      view: { ...IDLE_PAIRING, role, status: 'starting' },
      finished: Promise.resolve(),
    };
    this.#current = current;
    void this.#persist(current.view);
    current.finished = run(controller.signal, (p) =>
      this.#update(id, {
        status: p.status,
        ...(p.code === undefined ? {} : { code: p.code }),
        ...(p.expiresAt === undefined ? {} : { expiresAt: p.expiresAt }),
      }),
    ).then(
      (result) =>
        this.#update(id, {
          status: 'done',
          code: null,
          deviceName: result.deviceName,
          username: result.username ?? null,
        }),
      (err: unknown) => {
        const cancelled = err instanceof RelayError && err.code === 'cancelled';
        this.#update(id, {
          status: cancelled ? 'cancelled' : 'failed',
          code: null,
          error: cancelled ? null : toUiError(err),
        });
      },
    );
    return { ...current.view };
  }

  /** Stops the running pairing at once; the run closes the channel in the background. */
  cancel(): PairingView {
    const current = this.#current;
    if (current && isRunning(current.view)) {
      current.controller.abort();
      this.#update(current.id, { status: 'cancelled', code: null });
    }
    return current ? { ...current.view } : { ...IDLE_PAIRING };
  }

  /** Resolves when the current run has ended (tests, and the end of a cancelled run). */
  async settled(): Promise<void> {
    await this.#current?.finished;
    await this.#writes.run(async () => {});
  }

  #update(id: number, change: Partial<PairingView>): void {
    const current = this.#current;
    // A superseded run, or one that ended already (e.g. cancelled while its request ran).
    if (!current || current.id !== id || !isRunning(current.view)) return;
    current.view = { ...current.view, ...change };
    void this.#persist(current.view);
  }

  #persist(view: PairingView): Promise<void> {
    // The code is a one-time password: it stays in memory only.
    return this.#writes.run(() => this.area.set(KEY, { ...view, code: null }));
  }
}

/** What #persist writes; anything else in storage (an older add-on's) counts as no pairing. */
const StoredView = z.object({
  role: z.enum(['new-device', 'add-device']).nullable(),
  status: z.enum(STATUSES),
  expiresAt: z.string().nullable(),
  deviceName: z.string().nullable(),
  username: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

function parseView(value: unknown): PairingView | null {
  const parsed = StoredView.safeParse(value);
  return parsed.success ? { ...parsed.data, code: null } : null;
}
