/**
 * Joins concurrent loads of the same key in this isolate: while one is in flight, later callers await it
 * instead of starting their own. A burst of logins on a cold cache (a pipeline fanning out to many jobs)
 * then costs the IdP one discovery and one JWKS request, not one of each per job.
 *
 * The shared load runs in the I/O context of the request that started it; if that request goes away
 * (client disconnect) its fetch is cancelled, so a joiner whose shared load fails loads on its own.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  run(key: string, load: () => Promise<T>): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) return pending.catch(() => load());
    const started = load().finally(() => {
      if (this.inflight.get(key) === started) this.inflight.delete(key);
    });
    this.inflight.set(key, started);
    return started;
  }

  pending(key: string): Promise<T> | undefined {
    return this.inflight.get(key);
  }
}
