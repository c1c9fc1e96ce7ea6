// Polls a condition in tests that wait for something asynchronous to happen elsewhere (a
// server node, memcached, a reconnecting client): resolves with the first truthy value.
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 6000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, null | undefined | false>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
