import type { Env } from "../env";
import { forgetLoginContext } from "../storage/login-context";
import { identityStateObjects, stateObject } from "../tokens/token-state-client";
import { DomainError, Reason } from "../errors";
import { withDeadline } from "../time/deadline";

/**
 * After an admin change to an identity (its role, OIDC config, memberships, a revocation of all its
 * tokens, or its deletion) is written to D1: drop this isolate's login cache and tell every one of the
 * identity's token-state objects (its own and its shards, in parallel), so the very next use of any of its
 * live tokens, whichever shard holds it, is checked against the new state. Answers only once all of them
 * have acknowledged; if any cannot be told, the admin sees a 503 and can retry (the change itself is
 * already saved, and an object not told reloads within POLICY_MAX_AGE_MS anyway). Consistency model:
 * docs/architecture.md, "How configuration changes reach live tokens".
 */
export async function propagateIdentityChange(env: Env, identity: { id: string; stateObject: string }): Promise<void> {
  forgetLoginContext(identity.id);
  try {
    await Promise.all(
      identityStateObjects(env, identity.stateObject).map((hexId) => withDeadline(stateObject(env, hexId).policyChanged())),
    );
  } catch {
    throw new DomainError(Reason.propagation_failed);
  }
}
