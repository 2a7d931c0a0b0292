import { waitFor } from "../cache/wait-for";
import { IDP_FETCH_TIMEOUT_MS } from "./fetch-json";

/**
 * Joins concurrent loads of the same key in this isolate: while one is in flight, later callers wait for
 * it instead of starting their own. A burst of logins on a cold cache (a pipeline fanning out to many jobs)
 * then costs the IdP one discovery and one JWKS request, not one of each per job.
 *
 * The load runs in the request that started it; the others wait for its outcome through plain data on
 * their own timers (src/cache/wait-for.ts), never on its promise. A joiner whose shared load failed, or
 * that waited longer than a load can take (its request may have gone away), loads on its own.
 */
interface Flight<T> {
  done: boolean;
  ok: boolean;
  value?: T;
}

/** Joiners look for the outcome this often, ... */
const POLL_MS = 2;
/** ... and stop waiting after the longest a load can take (one IdP fetch, plus a KV read). */
const JOIN_TIMEOUT_MS = IDP_FETCH_TIMEOUT_MS + 1_000;

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();

  async run(key: string, load: () => Promise<T>): Promise<T> {
    const flight = this.flights.get(key);
    if (flight) {
      const outcome = await outcomeOf(flight);
      return outcome.ok ? outcome.value : load();
    }
    return this.lead(key, load);
  }

  /** The outcome of the load in flight for `key` (rejects if it failed or took too long), or undefined. */
  pending(key: string): Promise<T> | undefined {
    const flight = this.flights.get(key);
    if (!flight) return undefined;
    return outcomeOf(flight).then((outcome) => {
      if (!outcome.ok) throw new Error("the shared load failed");
      return outcome.value;
    });
  }

  private async lead(key: string, load: () => Promise<T>): Promise<T> {
    const flight: Flight<T> = { done: false, ok: false };
    this.flights.set(key, flight);
    try {
      const value = await load();
      flight.ok = true;
      flight.value = value;
      return value;
    } finally {
      flight.done = true;
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }
}

async function outcomeOf<T>(flight: Flight<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  const done = await waitFor(() => flight.done, { pollMs: POLL_MS, timeoutMs: JOIN_TIMEOUT_MS });
  return done && flight.ok ? { ok: true, value: flight.value as T } : { ok: false };
}
