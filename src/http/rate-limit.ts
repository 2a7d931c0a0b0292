/**
 * Login rate limits on the Workers rate-limiting binding (wrangler.toml `[[ratelimits]]`; docs/security.md,
 * "Hostile callers"). Two limiters, both keyed by the client address Cloudflare saw (`CF-Connecting-IP`,
 * never `X-Forwarded-For`; an IPv6 address counts as its /64):
 *
 * - LOGIN_CLIENT_LIMITER: every login request of a client address. Its answer is awaited before anything
 *   is changed for the login (the ID token's replay record, the token issued) and its refusal wins over
 *   any other answer; the body is read and the ID token verified meanwhile (src/http/routes/login.ts). The
 *   limiter counts blocks of CLIENT_LOGINS_PER_LIMITER_UNIT logins: an isolate reserves a block with one
 *   call and spends it locally, for at most one period. A client served by one isolate is admitted exactly
 *   `limit` blocks' worth of logins; one spread over several isolates may be refused a little earlier
 *   (each isolate's unspent remainder was counted), never later. Concurrent requests of a client with an
 *   empty block wait for one reservation instead of each making their own (polling shared plain data).
 * - LOGIN_FAILURE_LIMITER: refused logins per (identity, client address). Only refusals are counted: the
 *   limiter is consulted after a refusal. Once it answers "over", the pair is blocked in this isolate for
 *   the limiter's period, and every further attempt is refused before any verification, valid token or
 *   not. Another isolate learns the same at its own next refusal for the pair, since the limiter's
 *   counter is shared within a Cloudflare location.
 * - LOGIN_ADDRESS_FAILURE_LIMITER: refused logins per client address, whatever identity they named (so
 *   naming a new random identity id each time does not escape the limit above). Counted and enforced the
 *   same way, the whole address blocked.
 * - TOKEN_CLIENT_LIMITER: renewals and revocations per client address, every request counted, before the
 *   body is read.
 *
 * The two per-address limits added for abuse (LOGIN_ADDRESS_FAILURE_LIMITER, TOKEN_CLIENT_LIMITER) do not
 * apply to requests without a client address: only local ones (tests, `wrangler dev` without a proxy)
 * lack `CF-Connecting-IP`, and they would all share one budget.
 *
 * The binding offers no way to read a counter without incrementing it; the isolate-memory block is what
 * makes "refuse before verifying" possible without counting successful logins.
 *
 * A missing binding disables its limit, and a limiter that throws lets the request through (logged):
 * these limits bound the cost of abuse, they are not what decides a login.
 */
import {
  CLIENT_LOGIN_PERIOD_SECONDS,
  CLIENT_LOGINS_PER_LIMITER_UNIT,
  FAILED_ADMIN_AUTH_PERIOD_SECONDS,
  FAILED_LOGIN_PERIOD_SECONDS,
  TOKEN_CALL_PERIOD_SECONDS,
} from "../constants";
import { LruCache } from "../cache/lru";
import { waitFor } from "../cache/wait-for";
import { clientKey, UNKNOWN_CLIENT } from "../net/client-key";
import { errorName, log } from "../observability/log";
import type { Env } from "../env";
import { DomainError, Reason } from "../errors";
import { isUuid } from "../storage/ids";

/** At most this many blocked (identity, client) pairs are remembered per isolate. */
const MAX_BLOCKED_PAIRS = 10_000;
const blocked = new LruCache<number>(MAX_BLOCKED_PAIRS);

/** The rate-limit key of a client address (src/net/client-key.ts: an IPv6 address counts as its /64). */
export { clientKey };

/** An identity id as submitted: UUIDs case-folded, anything else (always a 404) shares one bucket. */
export function identityKey(identityId: string): string {
  return isUuid(identityId) ? identityId.toLowerCase() : "malformed";
}

const failureKey = (identityId: string, ip: string | null) => `${identityKey(identityId)}|${clientKey(ip)}`;

/** Client addresses blocked for their refused logins across identities, per isolate. */
const blockedAddresses = new LruCache<number>(MAX_BLOCKED_PAIRS);

let warnedMissing = false;

type LimiterBinding =
  | "LOGIN_CLIENT_LIMITER"
  | "LOGIN_FAILURE_LIMITER"
  | "LOGIN_ADDRESS_FAILURE_LIMITER"
  | "TOKEN_CLIENT_LIMITER"
  | "ADMIN_AUTH_LIMITER";

async function consume(env: Env, binding: LimiterBinding, key: string): Promise<boolean> {
  const limiter = env[binding];
  if (!limiter) {
    if (!warnedMissing) {
      warnedMissing = true;
      log("warn", "rate_limiter_missing", { binding });
    }
    return true;
  }
  try {
    return (await limiter.limit({ key })).success;
  } catch (err) {
    log("warn", "rate_limiter_unavailable", { binding, error: errorName(err) });
    return true;
  }
}

const clientLimited = () => new DomainError(Reason.rate_limited_client, undefined, { retryAfterSeconds: CLIENT_LOGIN_PERIOD_SECONDS });

const failuresLimited = (retryAfterSeconds: number) =>
  new DomainError(
    Reason.rate_limited_failed_logins,
    "Too many refused logins for this identity from this address; retry after the Retry-After delay",
    { retryAfterSeconds: Math.max(1, retryAfterSeconds) },
  );

const addressFailuresLimited = (retryAfterSeconds: number) =>
  new DomainError(Reason.rate_limited_failed_logins, "Too many refused logins from this address; retry after the Retry-After delay", {
    retryAfterSeconds: Math.max(1, retryAfterSeconds),
  });

/**
 * A client address's logins in this isolate: the unspent rest of its reserved blocks, and the state of a
 * reservation under way. Plain data only: requests of the same client wait for each other through it
 * (src/cache/wait-for.ts), never by awaiting each other's promises.
 */
interface ClientBudget {
  left: number;
  /** Date.now() when the reservation under way started; 0 when none is. */
  reservingSince: number;
  /** Date.now() when a reservation was last refused. */
  refusedAt: number;
}
/** At most this many client addresses hold a budget per isolate; a budget lasts one period. */
const MAX_BUDGETS = 10_000;
const budgets = new LruCache<ClientBudget>(MAX_BUDGETS);
/** A request waiting for another's reservation looks again this often, ... */
const RESERVATION_POLL_MS = 1;
/** ... and reserves on its own once that one has taken this long (its request may have gone away). */
const RESERVATION_WAIT_MS = 1_000;
const PERIOD_MS = CLIENT_LOGIN_PERIOD_SECONDS * 1000;

/** Every login request spends one login of the client address's budget. Throws 429 `rate_limited_client`. */
export async function limitClientLogins(env: Env, ip: string | null): Promise<void> {
  const key = clientKey(ip);
  let budget = budgets.get(key);
  if (!budget) {
    budget = { left: 0, reservingSince: 0, refusedAt: 0 };
    budgets.set(key, budget, PERIOD_MS);
  }
  const arrived = Date.now();
  for (;;) {
    if (budget.left > 0) {
      budget.left--; // mutated in place: re-setting a hot key costs a Map rehash chain (src/cache/lru.ts)
      return;
    }
    if (budget.reservingSince !== 0) {
      const b = budget;
      const waitMs = RESERVATION_WAIT_MS - (Date.now() - b.reservingSince);
      if (waitMs > 0 && (await waitFor(() => b.reservingSince === 0, { pollMs: RESERVATION_POLL_MS, timeoutMs: waitMs }))) {
        if (b.refusedAt >= arrived) throw clientLimited(); // the reservation it waited for was refused
        continue;
      }
    }
    budget.reservingSince = Date.now();
    let granted: boolean;
    try {
      granted = await consume(env, "LOGIN_CLIENT_LIMITER", key);
    } finally {
      budget.reservingSince = 0;
    }
    if (!granted) {
      budget.refusedAt = Date.now();
      throw clientLimited();
    }
    budget.left += CLIENT_LOGINS_PER_LIMITER_UNIT;
    budgets.set(key, budget, PERIOD_MS); // the block is spendable for one period from now
  }
}

/**
 * Whether LOGIN_CLIENT_LIMITER refused this client address in this isolate within the last period: its
 * next login then waits for the limiter's answer before anything else is done for it (src/http/routes/login.ts),
 * so a limited client costs no verification.
 */
export function clientLoginsRecentlyRefused(ip: string | null, now = Date.now()): boolean {
  const refusedAt = budgets.get(clientKey(ip))?.refusedAt ?? 0;
  return refusedAt !== 0 && now - refusedAt < PERIOD_MS;
}

/** Before any verification: throws 429 `rate_limited_failed_logins` while the address or the pair is blocked. */
export function assertLoginNotBlocked(identityId: string, ip: string | null, now = Date.now()): void {
  const addressUntil = blockedAddresses.get(clientKey(ip), now);
  if (addressUntil !== undefined) throw addressFailuresLimited(Math.ceil((addressUntil - now) / 1000));
  const until = blocked.get(failureKey(identityId, ip), now);
  if (until !== undefined) throw failuresLimited(Math.ceil((until - now) / 1000));
}

/**
 * After a refused login: counts the refusal. Returns the 429 to answer instead when this refusal went
 * over the limit (the pair is then blocked for one period), or null.
 */
export async function countLoginFailure(
  env: Env,
  identityId: string,
  ip: string | null,
  now = Date.now(),
): Promise<DomainError | null> {
  const key = failureKey(identityId, ip);
  const address = clientKey(ip);
  const [pairOk, addressOk] = await Promise.all([
    consume(env, "LOGIN_FAILURE_LIMITER", key),
    address === UNKNOWN_CLIENT || consume(env, "LOGIN_ADDRESS_FAILURE_LIMITER", address),
  ]);
  const periodMs = FAILED_LOGIN_PERIOD_SECONDS * 1000;
  if (!addressOk) {
    blockedAddresses.set(address, now + periodMs, periodMs, now);
    log("warn", "login_failures_limited", { client: address });
    return addressFailuresLimited(FAILED_LOGIN_PERIOD_SECONDS);
  }
  if (pairOk) return null;
  blocked.set(key, now + periodMs, periodMs, now);
  log("warn", "login_failures_limited", { identity: identityKey(identityId), client: address });
  return failuresLimited(FAILED_LOGIN_PERIOD_SECONDS);
}

/**
 * Every renewal and revocation spends one of the client address's budget (TOKEN_CLIENT_LIMITER), before
 * the body is read. Throws 429 `rate_limited_token_calls`. Requests without a client address (local only)
 * are not counted.
 */
export async function limitTokenCalls(env: Env, ip: string | null): Promise<void> {
  const key = clientKey(ip);
  if (key === UNKNOWN_CLIENT || (await consume(env, "TOKEN_CLIENT_LIMITER", key))) return;
  throw new DomainError(Reason.rate_limited_token_calls, undefined, { retryAfterSeconds: TOKEN_CALL_PERIOD_SECONDS });
}

/**
 * ADMIN_AUTH_LIMITER: failed admin authentications (a wrong admin key, an unusable access token) per client
 * address, on the admin API and at the console's sign-in alike, counted after each refusal as
 * LOGIN_FAILURE_LIMITER counts refused logins. Once over, the address is blocked in this isolate for the
 * period: every admin authentication from it, the right key included, is refused 429 before any key is
 * compared or token used (otherwise a 429 for a wrong guess and a 200 for the right one would still tell
 * guesses apart). A request without a client address (only in-process: tests) is not limited.
 */
const adminAuthKey = (ip: string) => `admin-auth|${clientKey(ip)}`;

const adminAuthLimited = (retryAfterSeconds: number) =>
  new DomainError(Reason.rate_limited_admin_auth, undefined, { retryAfterSeconds: Math.max(1, retryAfterSeconds) });

/** Before an admin credential is looked at: throws 429 `rate_limited_admin_auth` while the address is blocked. */
export function assertAdminAuthNotBlocked(ip: string | null, now = Date.now()): void {
  const until = ip === null ? undefined : blocked.get(adminAuthKey(ip), now);
  if (until !== undefined) throw adminAuthLimited(Math.ceil((until - now) / 1000));
}

/** After a refused admin credential: counts it; returns the 429 to answer instead when this one went over. */
export async function countAdminAuthFailure(env: Env, ip: string | null, now = Date.now()): Promise<DomainError | null> {
  if (ip === null || (await consume(env, "ADMIN_AUTH_LIMITER", adminAuthKey(ip)))) return null;
  blocked.set(adminAuthKey(ip), now + FAILED_ADMIN_AUTH_PERIOD_SECONDS * 1000, FAILED_ADMIN_AUTH_PERIOD_SECONDS * 1000, now);
  log("warn", "admin_auth_failures_limited", { client: clientKey(ip) });
  return adminAuthLimited(FAILED_ADMIN_AUTH_PERIOD_SECONDS);
}
