import { ISSUER_CACHE_ENTRIES, JWKS_CACHE_TTL_SECONDS, JWKS_REFETCH_COOLDOWN_SECONDS } from "../constants";
import { LruCache } from "../cache/lru";
import { readTiered } from "../cache/tiered";
import { IDP_STALE_IF_ERROR_SECONDS } from "./discovery";
import { asIdpAnswer, fetchJsonObject } from "./fetch-json";
import { KeySet, parseJwks } from "./jwks";

export interface KeyIo {
  kv: KVNamespace;
  waitUntil: (p: Promise<unknown>) => void;
}

const memory = new LruCache<{ value: KeySet; fetchedAt: number }>(ISSUER_CACHE_ENTRIES);
const staticSets = new LruCache<KeySet>(ISSUER_CACHE_ENTRIES);
/** Last forced refetch per JWKS URL in this isolate; KV carries it to the others. */
const lastRefetch = new LruCache<number>(ISSUER_CACHE_ENTRIES);

function jwksSource(io: KeyIo, jwksUrl: string) {
  return {
    memory,
    kv: io.kv,
    key: `jwks:${jwksUrl}`,
    ttlSeconds: JWKS_CACHE_TTL_SECONDS,
    staleSeconds: IDP_STALE_IF_ERROR_SECONDS,
    load: () => fetchJsonObject(jwksUrl),
    parse: asIdpAnswer(parseJwks),
    waitUntil: io.waitUntil,
  };
}

/** A JWKS the admin pasted into the configuration: parsed once per isolate. */
export function staticKeySet(jwksJson: string): KeySet {
  let set = staticSets.get(jwksJson);
  if (!set) {
    set = parseJwks(JSON.parse(jwksJson));
    staticSets.set(jwksJson, set, 3600_000);
  }
  return set;
}

/**
 * The issuer's keys, refetched once when the token names a kid we do not know (the IdP rotated), but at
 * most once per cooldown per JWKS URL across isolates, so a stream of bogus kids cannot hammer the IdP.
 */
export async function keysForKid(io: KeyIo, jwksUrl: string, kid: string | undefined): Promise<KeySet> {
  const src = jwksSource(io, jwksUrl);
  const keys = await readTiered(src);
  if (kid === undefined || keys.hasKid(kid)) return keys;
  if (!(await mayRefetch(io, jwksUrl))) return keys;
  try {
    return await readTiered(src, { refresh: true });
  } catch {
    return keys; // the IdP failed; the kid is still unknown and the caller refuses the token
  }
}

async function mayRefetch(io: KeyIo, jwksUrl: string): Promise<boolean> {
  const now = Date.now();
  const cooldownMs = JWKS_REFETCH_COOLDOWN_SECONDS * 1000;
  const local = lastRefetch.get(jwksUrl);
  if (local !== undefined && now - local < cooldownMs) return false;
  const kvKey = `jwks-refetch:${jwksUrl}`;
  const shared = Number((await io.kv.get(kvKey).catch(() => null)) ?? 0);
  if (now - shared < cooldownMs) {
    lastRefetch.set(jwksUrl, shared, cooldownMs);
    return false;
  }
  lastRefetch.set(jwksUrl, now, cooldownMs);
  io.waitUntil(io.kv.put(kvKey, String(now), { expirationTtl: 60 }).catch(() => {}));
  return true;
}

export function forgetKeys(): void {
  memory.clear();
  staticSets.clear();
  lastRefetch.clear();
}
