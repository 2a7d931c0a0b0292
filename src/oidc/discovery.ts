import { DISCOVERY_CACHE_TTL_SECONDS } from "../constants";
import { LruCache } from "../cache/lru";
import { readTiered } from "../cache/tiered";
import { ISSUER_CACHE_ENTRIES } from "../constants";
import { asIdpAnswer, fetchJsonObject } from "./fetch-json";
import { SingleFlight } from "./single-flight";
import { discoveryDocumentUrl } from "./url-policy";

export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
}

/** How long a copy of discovery or JWKS may be served after its TTL while the IdP fails. */
export const IDP_STALE_IF_ERROR_SECONDS = 6 * 3600;

const memory = new LruCache<{ value: DiscoveryDocument; fetchedAt: number }>(ISSUER_CACHE_ENTRIES);
const loads = new SingleFlight<DiscoveryDocument>();
/** KV reads started ahead of the login context (prefetchDiscovery); loads of the same key wait for them. */
const prefetches = new Map<string, Promise<DiscoveryDocument | undefined>>();

export function parseDiscovery(raw: unknown): DiscoveryDocument {
  const doc = raw as Record<string, unknown>;
  if (typeof doc.issuer !== "string" || doc.issuer === "") throw new Error("discovery document has no issuer");
  if (typeof doc.jwks_uri !== "string" || doc.jwks_uri === "") throw new Error("discovery document has no jwks_uri");
  return { issuer: doc.issuer, jwks_uri: doc.jwks_uri };
}

export function loadDiscovery(
  io: { kv: KVNamespace; waitUntil: (p: Promise<unknown>) => void },
  oidcDiscoveryUrl: string,
): Promise<DiscoveryDocument> {
  const url = discoveryDocumentUrl(oidcDiscoveryUrl);
  const key = `discovery:${url}`;
  const hit = memory.get(key);
  if (hit) return Promise.resolve(hit.value);
  const prefetch = prefetches.get(key);
  if (prefetch) return prefetch.then(() => loadDiscovery(io, oidcDiscoveryUrl));
  return loads.run(key, () => readTiered(discoverySource(io, key, () => fetchJsonObject(url))));
}

function discoverySource(
  io: { kv: KVNamespace; waitUntil: (p: Promise<unknown>) => void },
  key: string,
  load: () => Promise<unknown>,
) {
  return {
    memory,
    kv: io.kv,
    key,
    ttlSeconds: DISCOVERY_CACHE_TTL_SECONDS,
    staleSeconds: IDP_STALE_IF_ERROR_SECONDS,
    load,
    parse: asIdpAnswer(parseDiscovery),
    waitUntil: io.waitUntil,
  };
}

/**
 * The KV copy of a discovery document, into memory, without ever asking the IdP: a cold isolate reads it
 * while the login context is still on its way (src/oidc/prefetch.ts). `alongside` is another KV key read
 * in the same call, handed to `adopt` with the document before the returned promise settles. Undefined
 * when KV has no fresh copy.
 */
export function prefetchDiscovery(
  io: { kv: KVNamespace },
  oidcDiscoveryUrl: string,
  alongside?: { key: string; adopt: (entry: unknown, doc: DiscoveryDocument) => void },
): Promise<DiscoveryDocument | undefined> {
  const key = `discovery:${discoveryDocumentUrl(oidcDiscoveryUrl)}`;
  const hit = memory.get(key);
  if (hit) return Promise.resolve(hit.value);
  let pending = prefetches.get(key);
  if (!pending) {
    pending = (async () => {
      const found = await io.kv.get<unknown>(alongside ? [key, alongside.key] : [key], "json");
      const doc = adoptDiscoveryCopy(key, found.get(key));
      if (doc && alongside) alongside.adopt(found.get(alongside.key), doc);
      return doc;
    })()
      .catch(() => undefined)
      .finally(() => prefetches.delete(key));
    prefetches.set(key, pending);
  }
  return pending;
}

/** A tiered KV entry of a discovery document, into memory when fresh and usable (as src/cache/tiered.ts). */
function adoptDiscoveryCopy(key: string, entry: unknown): DiscoveryDocument | undefined {
  const e = entry as { raw?: unknown; fetchedAt?: unknown } | null;
  if (!e || typeof e.fetchedAt !== "number") return undefined;
  const now = Date.now();
  const freshFor = e.fetchedAt + DISCOVERY_CACHE_TTL_SECONDS * 1000 - now;
  if (freshFor <= 0) return undefined; // a stale copy is not adopted here
  try {
    const value = parseDiscovery(e.raw);
    memory.set(key, { value, fetchedAt: e.fetchedAt }, freshFor, now);
    return value;
  } catch {
    return undefined; // a bad KV copy is ignored, never trusted
  }
}

/** Tests and admin changes drop isolate copies; KV copies expire on their own. */
export function forgetDiscovery(): void {
  memory.clear();
}
