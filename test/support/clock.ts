// Moving the service's clock (src/time/clock.ts) instead of sleeping. The tests, the Worker, its Durable
// Objects and the AuthService entrypoint run in one isolate, so they all read the same clock; each move is
// undone when the test finishes.
//
//   advanceClock(3);                  // 3 s later for every nowSeconds() reader
//   advanceClockTo(claims.exp);       // the clock reads exactly `exp` (the start of that second)
//   freezeClockAt(claims.exp);        // ... and stays there until the next move (steps that must share a second)
//
// Only code that reads src/time/clock.ts sees the move: whatever still reads Date.now() (timers, cache
// ages, Durable Object alarms, jose's own time checks unless given a currentDate) stays on real time. A
// test that needs one of those to move must keep waiting for real.
import { onTestFinished } from "vitest";
import { nowMs, nowSeconds, setClockFrozenForTests, setClockOffsetForTests } from "../../src/time/clock";

export { nowMs, nowSeconds };

let offsetMs = 0;
let resetRegistered = false;

function moveTo(newOffsetMs: number): void {
  if (!resetRegistered) {
    // onTestFinished throws outside a running test: the clock may only be moved from inside one.
    onTestFinished(resetClock);
    resetRegistered = true;
  }
  offsetMs = newOffsetMs;
  setClockFrozenForTests(null);
  setClockOffsetForTests(offsetMs / 1000);
}

/** Moves the clock `seconds` forward from where it reads now. Reset when the test finishes. */
export function advanceClock(seconds: number): void {
  if (!(seconds >= 0)) throw new Error(`advanceClock(${seconds}): the clock only moves forward`);
  moveTo(offsetMs + seconds * 1000);
}

/**
 * Moves the clock forward so that it reads `epochSeconds` exactly (the first millisecond of that second):
 * a token with `exp: epochSeconds` is expired from here on, and nearly a full second of real time passes
 * before the clock reads the next second. Reset when the test finishes.
 */
export function advanceClockTo(epochSeconds: number): void {
  const target = epochSeconds * 1000;
  const current = nowMs();
  if (target < current) throw new Error(`advanceClockTo(${epochSeconds}): the clock already reads ${current / 1000}`);
  moveTo(offsetMs + (target - current));
}

/**
 * Holds the clock at `epochSeconds` exactly until the next move or the end of the test: the steps that
 * follow all see that second, however long a loaded machine takes between them (advanceClockTo leaves
 * the clock running, so more than a second of stall moves it on).
 */
export function freezeClockAt(epochSeconds: number): void {
  const target = epochSeconds * 1000;
  const current = nowMs();
  if (target < current) throw new Error(`freezeClockAt(${epochSeconds}): the clock already reads ${current / 1000}`);
  moveTo(offsetMs + (target - current));
  setClockFrozenForTests(target);
}

/** Puts the clock back on real time (done automatically when a test that moved it finishes). */
export function resetClock(): void {
  offsetMs = 0;
  resetRegistered = false;
  setClockFrozenForTests(null);
  setClockOffsetForTests(0);
}
