import type { Env } from "../env";
import { forgetLoginContext } from "../storage/login-context";
import { stateObject } from "../tokens/token-state-client";
import { DomainError, Reason } from "../errors";

/**
 * After an admin change to an identity (its role, OIDC config, memberships, or its deletion) is written
 * to D1: drop this isolate's login cache and tell the identity's Durable Object, so the very next use of
 * any of its live tokens is checked against the new state. If the object cannot be told, the admin sees a
 * 503 and can retry; the change itself is already saved.
 */
export async function propagateIdentityChange(env: Env, identity: { id: string; stateObject: string }): Promise<void> {
  forgetLoginContext(identity.id);
  try {
    await stateObject(env, identity.stateObject).policyChanged();
  } catch {
    throw new DomainError(Reason.propagation_failed);
  }
}
