// The background keeps its state in browser.storage (local: survives restarts; session: until
// the browser closes) behind this small interface, so the logic can be tested with a Map.
import type { Storage } from 'webextension-polyfill';

export interface KeyValueArea {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
}

export function browserArea(area: Storage.StorageArea): KeyValueArea {
  return {
    async get(key) {
      const items = await area.get(key);
      return items[key];
    },
    async set(key, value) {
      await area.set({ [key]: value });
    },
    async remove(key) {
      await area.remove(key);
    },
  };
}

/** An in-memory area (unit tests, and a fallback where storage.session is missing). */
export class MemoryArea implements KeyValueArea {
  readonly #items = new Map<string, unknown>();

  async get(key: string): Promise<unknown> {
    // A structured copy, like the real storage, so callers cannot share mutable state.
    const value = this.#items.get(key);
    return value === undefined ? undefined : structuredClone(value);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.#items.set(key, structuredClone(value));
  }

  async remove(key: string): Promise<void> {
    this.#items.delete(key);
  }
}
