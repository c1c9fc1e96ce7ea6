import { describe, expect, it } from 'vitest';
import { PromptManager, type PromptWindows } from './prompt.js';

function fakeWindows() {
  const opened: string[] = [];
  const closed: number[] = [];
  const windows: PromptWindows = {
    open: async (promptId) => {
      opened.push(promptId);
      return opened.length;
    },
    close: async (windowId) => void closed.push(windowId),
  };
  return { windows, opened, closed };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('PromptManager', () => {
  it('opens one window per origin and gives every caller the answer', async () => {
    const { windows, opened, closed } = fakeWindows();
    let n = 0;
    const settled: string[] = [];
    const prompts = new PromptManager(windows, {
      newId: () => `p${++n}`,
      onSettled: (origin, outcome) => settled.push(`${origin} ${outcome}`),
    });
    const calls = Array.from({ length: 5 }, () => prompts.ask('https://a.example'));
    await flush();
    expect(opened).toEqual(['p1']);
    expect(prompts.view('p1')).toEqual({ origin: 'https://a.example' });
    prompts.answer('p1', 'allow');
    expect(await Promise.all(calls)).toEqual(Array(5).fill('allow'));
    expect(closed).toEqual([1]);
    expect(prompts.view('p1')).toBeNull();
    expect(settled).toEqual(['https://a.example allow']);
  });

  it('asks different origins at the same time', async () => {
    const { windows, opened } = fakeWindows();
    let n = 0;
    const prompts = new PromptManager(windows, { newId: () => `p${++n}` });
    void prompts.ask('https://a.example');
    void prompts.ask('https://b.example');
    await flush();
    expect(opened).toEqual(['p1', 'p2']);
  });

  it('answers null when the window is closed, and asks anew next time', async () => {
    const { windows, opened } = fakeWindows();
    let n = 0;
    const settled: string[] = [];
    const prompts = new PromptManager(windows, {
      newId: () => `p${++n}`,
      onSettled: (_origin, outcome) => settled.push(outcome),
    });
    const first = prompts.ask('https://a.example');
    const second = prompts.ask('https://a.example');
    await flush();
    prompts.windowClosed(1);
    expect(await first).toBeNull();
    expect(await second).toBeNull();
    // One question, one dismissal, however many callers waited for it.
    expect(settled).toEqual(['dismissed']);
    void prompts.ask('https://a.example');
    await flush();
    expect(opened).toEqual(['p1', 'p2']);
  });

  it('gives up after its timeout and when the window cannot be opened', async () => {
    const { windows } = fakeWindows();
    const settled: string[] = [];
    const onSettled = (_origin: string, outcome: string) => settled.push(outcome);
    const slow = new PromptManager(windows, { newId: () => 'p', timeoutMs: 5, onSettled });
    expect(await slow.ask('https://a.example')).toBeNull();
    const broken = new PromptManager(
      { open: () => Promise.reject(new Error('no windows')), close: async () => {} },
      { onSettled },
    );
    expect(await broken.ask('https://a.example')).toBeNull();
    // Not answering counts as dismissing; a window that never opened does not.
    expect(settled).toEqual(['dismissed', 'failed']);
  });

  it('ignores answers for questions it did not ask', () => {
    const prompts = new PromptManager(fakeWindows().windows);
    expect(() => prompts.answer('unknown', 'allow')).not.toThrow();
  });
});
