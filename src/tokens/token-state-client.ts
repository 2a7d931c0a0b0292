import { BoundedMemo } from "../cache/memo";
import type { Env } from "../env";
import { errorName, log } from "../observability/log";
import type { TokenStateObject } from "./token-state-object";
import { DomainError, Reason, type Failure } from "../errors";
import type { AccessTokenClaims } from "./access-token";
import { isRecheck, type Recheck } from "./admission";
import { tokenRef, withIssuedFor, type TokenRef } from "./token-ref";
import { STORAGE_TIMEOUT_MS, withDeadline } from "../time/deadline";

/**
 * Parsed Durable Object ids (plain values, not I/O objects) by their hex form: every use of a token names
 * its identity's object, and parsing the id showed in profiles. Bounded; valid for one namespace binding.
 */
const stateObjectIds = new BoundedMemo<DurableObjectId>(10_000);
let stateObjectIdsOf: DurableObjectNamespace<TokenStateObject> | undefined;

/**
 * The identity's token-state object, by the hex id a token carries signed (`sob`) or the identity records.
 * `locationHint` only matters on the call that creates the object (identity creation, docs/architecture.md
 * "Placement"); an existing object never moves.
 */
export function stateObject(
  env: Pick<Env, "TOKEN_STATE">,
  hexId: string,
  locationHint?: DurableObjectLocationHint,
): DurableObjectStub<TokenStateObject> {
  if (stateObjectIdsOf !== env.TOKEN_STATE) {
    stateObjectIds.clear();
    stateObjectIdsOf = env.TOKEN_STATE;
  }
  const id = stateObjectIds.get(hexId, () => {
    try {
      return env.TOKEN_STATE.idFromString(hexId);
    } catch {
      throw new DomainError(Reason.access_token_invalid);
    }
  });
  return locationHint ? env.TOKEN_STATE.get(id, { locationHint }) : env.TOKEN_STATE.get(id);
}

/** How long a call to a token-state object may take before it counts as failed (tests shorten it). */
let stateObjectTimeoutMs = STORAGE_TIMEOUT_MS;
export function setStateObjectTimeoutForTests(ms: number): void {
  stateObjectTimeoutMs = ms;
}

/**
 * A call to the identity's Durable Object. When the object (or the D1 read of the policy behind it)
 * fails or does not answer within STORAGE_TIMEOUT_MS, the caller gets a 503 it can retry, never a 500 and
 * never an admission.
 */
export async function withStateObject<T>(call: () => PromiseLike<T>): Promise<T> {
  try {
    return await withDeadline(call(), stateObjectTimeoutMs);
  } catch (err) {
    if (err instanceof DomainError) throw err;
    log("error", Reason.token_state_unavailable, { name: errorName(err) });
    throw new DomainError(Reason.token_state_unavailable, undefined, { retryAfterSeconds: 1 });
  }
}

/**
 * A call that answers an outcome (use, renew) for a presented token: a refusal is thrown as the DomainError
 * it stands for. The call names the token by its ref; when the object answers RECHECK (only the token's
 * snapshot can decide, src/tokens/admission.ts), it is made once more with the snapshot.
 */
export async function admittedBy<O extends { ok: true } | Failure | Recheck>(
  token: AccessTokenClaims,
  call: (ref: TokenRef) => PromiseLike<O>,
): Promise<Exclude<O, Failure | Recheck>> {
  const ref = tokenRef(token);
  let outcome: { ok: true } | Failure | Recheck = await withStateObject(() => call(ref));
  if (isRecheck(outcome)) outcome = await withStateObject(() => call(withIssuedFor(ref, token)));
  // The object never asks again for what the call brought: asking twice is a bug, not an admission.
  if (isRecheck(outcome)) throw new DomainError(Reason.internal_error);
  if (!outcome.ok) throw DomainError.from(outcome);
  return outcome as Exclude<O, Failure | Recheck>;
}
