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
    const prompts = new PromptManager(windows, () => `p${++n}`);
    const a = prompts.ask('https://a.example');
    const b = prompts.ask('https://a.example');
    await flush();
    expect(opened).toEqual(['p1']);
    expect(prompts.view('p1')).toEqual({ origin: 'https://a.example' });
    prompts.answer('p1', 'allow');
    expect(await a).toBe('allow');
    expect(await b).toBe('allow');
    expect(closed).toEqual([1]);
    expect(prompts.view('p1')).toBeNull();
  });

  it('answers null when the window is closed, and asks anew next time', async () => {
    const { windows, opened } = fakeWindows();
    let n = 0;
    const prompts = new PromptManager(windows, () => `p${++n}`);
    const first = prompts.ask('https://a.example');
    await flush();
    prompts.windowClosed(1);
    expect(await first).toBeNull();
    void prompts.ask('https://a.example');
    await flush();
    expect(opened).toEqual(['p1', 'p2']);
  });

  it('gives up after its timeout and when the window cannot be opened', async () => {
    const { windows } = fakeWindows();
    const slow = new PromptManager(windows, () => 'p', 5);
    expect(await slow.ask('https://a.example')).toBeNull();
    const broken = new PromptManager({
      open: () => Promise.reject(new Error('no windows')),
      close: async () => {},
    });
    expect(await broken.ask('https://a.example')).toBeNull();
  });

  it('ignores answers for questions it did not ask', () => {
    const prompts = new PromptManager(fakeWindows().windows);
    expect(() => prompts.answer('unknown', 'allow')).not.toThrow();
  });
});
