/**
 * Opt-in replay protection for logins (`replayProtection` on an OIDC Auth configuration): an ID token may
 * log in to an identity once. The record lives in the identity's TokenStateObject (claimIdToken), so the
 * check-and-record is atomic across every isolate and location; KV, being eventually consistent, could
 * admit the same token twice in two places at once.
 *
 * Why one may want it: a CI ID token is a bearer credential valid for minutes to hours. If it leaks (a
 * job log, a compromised step, a malicious dependency in the same job), replay protection means the thief
 * can no longer exchange it once the job has, and a job that finds its own login refused learns that it
 * leaked. Why it is off by default: it adds a Durable Object round trip to every login of the identity,
 * and a job that legitimately logs in twice with one token (a retried step) must then fetch a new one.
 */
import type { Env } from "../env";
import { stateObject, withStateObject } from "../tokens/token-state-client";

export type ClaimIdToken = (iss: string, jti: string, exp: number) => Promise<boolean>;

/** Records (iss, jti) in the identity's object; false when it was already recorded and is still live. */
export function replayGuard(env: Pick<Env, "TOKEN_STATE">, stateObjectId: string): ClaimIdToken {
  return async (iss, jti, exp) => {
    return withStateObject(async () => (await stateObject(env, stateObjectId).claimIdToken(iss, jti, exp)).ok);
  };
}

/** Whether the identity's object holds a live record of (iss, jti): a login with it would be `token_replayed`. */
export async function idTokenClaimed(
  env: Pick<Env, "TOKEN_STATE">,
  stateObjectId: string,
  iss: string,
  jti: string,
): Promise<boolean> {
  return withStateObject(async () => stateObject(env, stateObjectId).idTokenClaimed(iss, jti));
}
