// "Allow <origin> to send you notifications?" asked in a window of the add-on's own, which a
// site cannot draw over or fake. One question per origin at a time: a page calling subscribe
// twice gets the same answer.
import type { Decision, PromptView } from '../messaging/ui-api.js';

export interface PromptWindows {
  /** Opens the prompt page for `promptId`; resolves to the window's id. */
  open(promptId: string): Promise<number | undefined>;
  close(windowId: number): Promise<void>;
}

interface Pending {
  origin: string;
  windowId: number | undefined;
  resolve: (decision: Decision | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A question nobody answers is closed eventually, so the page's promise settles. */
const PROMPT_TIMEOUT_MS = 5 * 60_000;

export class PromptManager {
  readonly #pending = new Map<string, Pending>();
  readonly #byOrigin = new Map<string, Promise<Decision | null>>();

  constructor(
    private readonly windows: PromptWindows,
    private readonly newId: () => string = () => crypto.randomUUID(),
    private readonly timeoutMs = PROMPT_TIMEOUT_MS,
  ) {}

  /** Resolves to the user's answer, or null when the window was closed without one. */
  ask(origin: string): Promise<Decision | null> {
    const existing = this.#byOrigin.get(origin);
    if (existing) return existing;
    const promptId = this.newId();
    const answer = new Promise<Decision | null>((resolve) => {
      const timer = setTimeout(() => this.#settle(promptId, null), this.timeoutMs);
      this.#pending.set(promptId, { origin, windowId: undefined, resolve, timer });
    }).finally(() => this.#byOrigin.delete(origin));
    this.#byOrigin.set(origin, answer);
    this.windows.open(promptId).then(
      (windowId) => {
        const pending = this.#pending.get(promptId);
        if (pending) pending.windowId = windowId;
        // The user may have closed the window already.
        else if (windowId !== undefined) void this.windows.close(windowId).catch(() => undefined);
      },
      () => this.#settle(promptId, null),
    );
    return answer;
  }

  view(promptId: string): PromptView | null {
    const pending = this.#pending.get(promptId);
    return pending ? { origin: pending.origin } : null;
  }

  answer(promptId: string, decision: Decision): void {
    this.#settle(promptId, decision);
  }

  /** Closing the prompt window is "not now": nothing is remembered. */
  windowClosed(windowId: number): void {
    for (const [promptId, pending] of this.#pending) {
      if (pending.windowId === windowId) this.#settle(promptId, null, false);
    }
  }

  #settle(promptId: string, decision: Decision | null, closeWindow = true): void {
    const pending = this.#pending.get(promptId);
    if (!pending) return;
    this.#pending.delete(promptId);
    clearTimeout(pending.timer);
    pending.resolve(decision);
    if (closeWindow && pending.windowId !== undefined) {
      // The user may have closed the window already.
      void this.windows.close(pending.windowId).catch(() => undefined);
    }
  }
}
