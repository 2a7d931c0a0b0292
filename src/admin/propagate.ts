import type { Env } from "../env";
import { forgetLoginContext } from "../storage/login-context";
import { stateObject } from "../tokens/token-state-client";
import { DomainError, Reason } from "../errors";
import { STORAGE_TIMEOUT_MS, withDeadline } from "../time/deadline";

/**
 * After an admin change to an identity (its role, OIDC config, memberships, a revocation of all its
 * tokens, or its deletion) is written to D1: drop this isolate's login cache and tell every one of the
 * identity's token-state objects, so the very next use of any of its live tokens, whichever shard holds
 * it, is checked against the new state. One call, to the identity's own object, which tells its shards in
 * parallel and answers once all have acknowledged (identityChanged). If any cannot be told, the admin sees
 * a 503 and can retry (the change itself is already saved, and an object not told reloads within
 * POLICY_MAX_AGE_MS anyway). Consistency model: docs/architecture.md, "Token state".
 */
export async function propagateIdentityChange(env: Env, identity: { id: string; stateObject: string }): Promise<void> {
  forgetLoginContext(identity.id);
  try {
    // The shards are told within the own object's call, each under the same deadline: allow for both.
    await withDeadline(stateObject(env, identity.stateObject).identityChanged(), 2 * STORAGE_TIMEOUT_MS);
  } catch {
    throw new DomainError(Reason.propagation_failed);
  }
}
