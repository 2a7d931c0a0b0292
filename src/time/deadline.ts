/**
 * A storage call that does not answer in time is an outage like one that fails: its caller answers 503 and
 * the client retries. One bound for D1 and the Durable Objects, far above their usual milliseconds, so that
 * only a hung call meets it. A call that timed out may still complete later (a write may commit): the
 * answer says "retry", and what is written stays whole (D1 batches and object calls are atomic).
 */
export const STORAGE_TIMEOUT_MS = 10_000;

export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/**
 * `call`'s result, or a DeadlineExceeded rejection after `ms`. The timer is cleared either way.
 *
 * It is on every token validation's path (each Durable Object call), so it costs one promise and one
 * timer and nothing else: no async frame, no second promise for the deadline, no Promise.race (which
 * subscribes to both and allocates its own).
 */
export function withDeadline<T>(call: PromiseLike<T>, ms: number = STORAGE_TIMEOUT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
    call.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
