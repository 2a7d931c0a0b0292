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
  return loads.run(key, () =>
    readTiered({
      memory,
      kv: io.kv,
      key,
      ttlSeconds: DISCOVERY_CACHE_TTL_SECONDS,
      staleSeconds: IDP_STALE_IF_ERROR_SECONDS,
      load: () => fetchJsonObject(url),
      parse: asIdpAnswer(parseDiscovery),
      waitUntil: io.waitUntil,
    }),
  );
}

/** Tests and admin changes drop isolate copies; KV copies expire on their own. */
export function forgetDiscovery(): void {
  memory.clear();
}
