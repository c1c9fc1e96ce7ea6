import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderAdminPage } from './page.js';

describe('renderAdminPage', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('renders the whole page', () => {
    const html = renderAdminPage();
    expect(html.startsWith('<!doctype html><html')).toBe(true);
    expect(html).toContain('id="audit-table"');
  });

  it('switches off every AsyncLocalStorage the render ran in, so promise hooks go off again', () => {
    // Spied before rendering, so the spies see the calls hono/jsx makes.
    const ran = new Set<AsyncLocalStorage<unknown>>();
    const disabled = new Set<AsyncLocalStorage<unknown>>();
    const run = AsyncLocalStorage.prototype.run;
    const disable = AsyncLocalStorage.prototype.disable;
    vi.spyOn(AsyncLocalStorage.prototype, 'run').mockImplementation(function (
      this: AsyncLocalStorage<unknown>,
      store: unknown,
      callback: (...args: unknown[]) => unknown,
      ...args: unknown[]
    ) {
      ran.add(this);
      return run.call(this, store, callback, ...args);
    });
    vi.spyOn(AsyncLocalStorage.prototype, 'disable').mockImplementation(function (
      this: AsyncLocalStorage<unknown>,
    ) {
      disabled.add(this);
      disable.call(this);
    });
    renderAdminPage();
    expect(ran.size).toBeGreaterThan(0);
    expect([...ran].every((storage) => disabled.has(storage))).toBe(true);
  });
});
