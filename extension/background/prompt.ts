// "Allow <origin> to send you notifications?" asked in a window of the add-on's own, which a
// site cannot draw over or fake. At most one question per origin at a time: a page calling
// subscribe five times gets one window and the same answer five times.
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

/**
 * How a question ended: answered, dismissed by the user (window closed, Escape, or no answer
 * before the timeout), or never shown (the window could not be opened).
 */
export type PromptOutcome = Decision | 'dismissed' | 'failed';

export interface PromptOptions {
  newId?: () => string;
  timeoutMs?: number;
  /** Called once per question (not once per caller), e.g. to count dismissals. */
  onSettled?: (origin: string, outcome: PromptOutcome) => void;
}

export class PromptManager {
  readonly #pending = new Map<string, Pending>();
  readonly #byOrigin = new Map<string, Promise<Decision | null>>();
  readonly #newId: () => string;
  readonly #timeoutMs: number;
  readonly #onSettled: (origin: string, outcome: PromptOutcome) => void;

  constructor(
    private readonly windows: PromptWindows,
    options: PromptOptions = {},
  ) {
    this.#newId = options.newId ?? (() => crypto.randomUUID());
    this.#timeoutMs = options.timeoutMs ?? PROMPT_TIMEOUT_MS;
    this.#onSettled = options.onSettled ?? (() => {});
  }

  /** Resolves to the user's answer, or null when the window was closed without one. */
  ask(origin: string): Promise<Decision | null> {
    const existing = this.#byOrigin.get(origin);
    if (existing) return existing;
    const promptId = this.#newId();
    const answer = new Promise<Decision | null>((resolve) => {
      const timer = setTimeout(() => this.#settle(promptId, 'dismissed'), this.#timeoutMs);
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
      () => this.#settle(promptId, 'failed'),
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
      if (pending.windowId === windowId) this.#settle(promptId, 'dismissed', false);
    }
  }

  #settle(promptId: string, outcome: PromptOutcome, closeWindow = true): void {
    const pending = this.#pending.get(promptId);
    if (!pending) return;
    this.#pending.delete(promptId);
    clearTimeout(pending.timer);
    pending.resolve(outcome === 'allow' || outcome === 'block' ? outcome : null);
    this.#onSettled(pending.origin, outcome);
    if (closeWindow && pending.windowId !== undefined) {
      // The user may have closed the window already.
      void this.windows.close(pending.windowId).catch(() => undefined);
    }
  }
}
