import { CONFIG_CACHE_ENTRIES, CONFIG_CACHE_TTL_MS } from "../constants";
import { LruCache } from "../cache/lru";
import { getIdentity } from "./identities";
import { getOidcAuthConfig } from "./oidc-auth-configs";
import { getOrganization } from "./organizations";
import type { Identity, OidcAuthConfig, Organization } from "./records";

/** Everything a login needs from D1, read together and kept in isolate memory for a few seconds. */
export interface LoginContext {
  identity: Identity;
  organization: Organization;
  config: OidcAuthConfig | null;
}

const cache = new LruCache<LoginContext | null>(CONFIG_CACHE_ENTRIES);

/**
 * Warm logins read no D1 at all. An admin change drops this isolate's copy at once; other isolates keep
 * theirs for at most CONFIG_CACHE_TTL_MS (docs/architecture.md). Token uses never rely on this cache.
 */
export async function loadLoginContext(db: D1Database, identityId: string): Promise<LoginContext | null> {
  const hit = cache.peek(identityId);
  if (hit?.fresh) return hit.value;
  const identity = await getIdentity(db, identityId);
  let ctx: LoginContext | null = null;
  if (identity) {
    const [organization, config] = await Promise.all([getOrganization(db, identity.orgId), getOidcAuthConfig(db, identityId)]);
    if (organization) ctx = { identity, organization, config };
  }
  cache.set(identityId, ctx, CONFIG_CACHE_TTL_MS);
  return ctx;
}

export function forgetLoginContext(identityId: string): void {
  cache.delete(identityId);
}
