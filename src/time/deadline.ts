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

/** `call`'s result, or a DeadlineExceeded rejection after `ms`. The timer is cleared either way. */
export async function withDeadline<T>(call: PromiseLike<T>, ms: number = STORAGE_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
