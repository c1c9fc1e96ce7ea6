import { describe, expect, it } from 'vitest';
import { PageTabs } from './page-tabs.js';
import { SerialQueue } from './serial.js';
import { MemoryArea } from './storage-area.js';

describe('PageTabs', () => {
  it('finds the tabs listening for an origin, and forgets closed or navigated ones', async () => {
    const tabs = new PageTabs(new MemoryArea(), new SerialQueue());
    await Promise.all([
      tabs.add(1, 'https://a.example'),
      tabs.add(2, 'https://b.example'),
      tabs.add(3, 'https://a.example'),
    ]);
    expect(await tabs.tabsFor('https://a.example')).toEqual([1, 3]);
    await tabs.remove(1);
    // Tab 3 navigated to another site and registered again.
    await tabs.add(3, 'https://b.example');
    expect(await tabs.tabsFor('https://a.example')).toEqual([]);
    expect(await tabs.tabsFor('https://b.example')).toEqual([2, 3]);
  });
});
