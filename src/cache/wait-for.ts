/**
 * Waits, on this request's own timer, until `isDone()` holds: how a request waits for work another request
 * of the same isolate is doing (a shared IdP fetch, a rate-limit reservation). The work's state is plain
 * data both can read; the waiter never awaits the other request's promise. (A continuation resumed by
 * another request's I/O is that request's business: if it goes away mid-way, its waiters must not hang or
 * end up holding objects of a request that no longer exists. `npm run bench` once met exactly that: 500s
 * from workerd, "Cannot perform I/O on behalf of a different request".)
 *
 * Returns true once done, false when `timeoutMs` passed first (the waiter then does the work itself).
 */
export async function waitFor(isDone: () => boolean, opts: { pollMs: number; timeoutMs: number }): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  while (!isDone()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs));
  }
  return true;
}
