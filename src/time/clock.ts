/**
 * The service's one clock. Token lifetimes, ID token time checks and the Durable Object's expiry all read
 * it, so a test can move time for all of them at once (`setClockOffsetForTests`) instead of sleeping: the
 * Worker, its Durable Objects and the tests share one isolate under the vitest plugin. Timers and cache
 * ages keep using Date.now() directly: they measure elapsed time, not the time of day.
 */
let offsetMs = 0;
/** When a test holds the clock still: the reading, else null (the usual case). */
let frozenMs: number | null = null;

/** Milliseconds since the epoch. */
export const nowMs = (): number => frozenMs ?? Date.now() + offsetMs;

/** Whole seconds since the epoch: what JWT `iat`, `exp` and `nbf` are compared with. */
export const nowSeconds = (): number => Math.floor(nowMs() / 1000);

/**
 * Moves the clock by `seconds` from real time (0 puts it back). For tests only: a deployment never calls
 * it, and nothing else in `src/` does.
 */
export function setClockOffsetForTests(seconds: number): void {
  offsetMs = seconds * 1000;
}

/**
 * Holds the clock at `ms` (null lets it run again): for a test whose steps must all fall in one second,
 * however slowly a loaded machine runs them. For tests only, like setClockOffsetForTests.
 */
export function setClockFrozenForTests(ms: number | null): void {
  frozenMs = ms;
}

/**
 * Resolves once the clock reads a second later than `second` (a wait of at most one second): for an answer
 * that must not come before the second it acted on is over.
 */
export function afterSecond(second: number): Promise<void> {
  const ms = Math.min((second + 1) * 1000 - nowMs(), 1000);
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
