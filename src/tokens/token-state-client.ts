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

function idsOf(env: Pick<Env, "TOKEN_STATE">): BoundedMemo<DurableObjectId> {
  if (stateObjectIdsOf !== env.TOKEN_STATE) {
    stateObjectIds.clear();
    shardHexIds.clear();
    stateObjectIdsOf = env.TOKEN_STATE;
  }
  return stateObjectIds;
}

/**
 * A token-state object by its hex id: the one a token carries signed (`sob`: its shard, or the identity's
 * own object for a token issued before shards), or one of an identity's objects (identityStateObjects).
 * Every stub of the namespace is made here, so that a placement option has one place. `locationHint` only
 * matters on the call that creates the object (the identity's own object, at identity creation:
 * docs/architecture.md "Placement"); an existing object never moves, and a shard is created by its first
 * use, so near the traffic that uses it.
 */
export function stateObject(
  env: Pick<Env, "TOKEN_STATE">,
  hexId: string,
  locationHint?: DurableObjectLocationHint,
): DurableObjectStub<TokenStateObject> {
  const id = idsOf(env).get(hexId, () => {
    try {
      return env.TOKEN_STATE.idFromString(hexId);
    } catch {
      throw new DomainError(Reason.access_token_invalid);
    }
  });
  return locationHint ? env.TOKEN_STATE.get(id, { locationHint }) : env.TOKEN_STATE.get(id);
}

/**
 * Token-state shards per identity (docs/architecture.md, "Token state"). Fixed: a token's shard is signed
 * into it, so the number may grow (new tokens spread wider, old ones stay where they are) but never shrink
 * while tokens issued under the larger number live, or their shards would miss the fan-out of admin changes.
 */
export const TOKEN_STATE_SHARDS = 16;

/** Hex ids of shards by `${identity object}/${shard}`: the name-to-id derivation is a hash, done once. */
const shardHexIds = new BoundedMemo<string>(10_000);

/**
 * The hex id of shard `shard` of the identity whose own object is `identityObject`: derived from a name,
 * with no I/O (idFromName is a keyed hash), so a login can sign it into a token without any call.
 */
export function shardObjectId(env: Pick<Env, "TOKEN_STATE">, identityObject: string, shard: number): string {
  idsOf(env);
  const name = `${identityObject}/${shard}`;
  return shardHexIds.get(name, () => env.TOKEN_STATE.idFromName(name).toString());
}

/**
 * A token's shard, from its id: the last 16 bits of a UUIDv7 `jti` are random, so tokens spread evenly. A
 * pure function of the jti, so the admin API finds the shard of a token from its ledger row alone.
 */
export function shardOf(jti: string): number {
  const bits = Number.parseInt(jti.slice(-4), 16);
  return Number.isInteger(bits) ? bits % TOKEN_STATE_SHARDS : 0;
}

/**
 * The objects that may hold the state of the identity's token `jti` when all one has is its id (the
 * ledger): its shard, and the identity's own object (which holds tokens issued before shards).
 */
export function tokenObjectsOf(env: Pick<Env, "TOKEN_STATE">, identityObject: string, jti: string): string[] {
  return [shardObjectId(env, identityObject, shardOf(jti)), identityObject];
}

/**
 * Every object that may hold state of the identity's tokens: its own (tokens issued before shards, and
 * ID-token replay records) and its shards. An admin change reaches all of them before it is answered.
 */
export function identityStateObjects(env: Pick<Env, "TOKEN_STATE">, identityObject: string): string[] {
  const ids = [identityObject];
  for (let shard = 0; shard < TOKEN_STATE_SHARDS; shard++) ids.push(shardObjectId(env, identityObject, shard));
  return ids;
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
