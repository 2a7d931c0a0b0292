import { CONFIG_CACHE_ENTRIES, CONFIG_CACHE_TTL_MS } from "../constants";
import { LruCache } from "../cache/lru";
import { guardedD1 } from "./guarded-d1";
import { identityFromRow, identityStatement } from "./identities";
import { oidcAuthConfigStatement, toConfig, type OidcAuthRow } from "./oidc-auth-configs";
import { organizationFromRow, organizationOfIdentityStatement } from "./organizations";
import { heartbeatStatement, replicaIsRecent } from "./replica-heartbeat";
import { nowMs } from "../time/clock";
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
 *
 * A miss is one D1 round trip: the identity, its organization and its configuration in one batch, from the
 * nearest read replica (D1 Sessions API, `first-unconstrained`). A replica may lag the primary
 * (docs/architecture.md, "Consistency windows"): its answer is used only when its copy of the heartbeat row
 * the primary rewrites every minute is recent (src/storage/replica-heartbeat.ts), which bounds its lag;
 * and when it knows no such identity, or no configuration for it, the primary is asked before refusing,
 * so an identity created a moment ago can log in at once. A replica that still shows a deleted identity or
 * a looser configuration admits a login the primary would refuse; the token it issues is refused at its
 * first use (the identity's Durable Object was told synchronously).
 */
export async function loadLoginContext(db: D1Database, identityId: string): Promise<LoginContext | null> {
  const hit = cache.peek(identityId);
  if (hit?.fresh) return hit.value;
  let ctx: LoginContext | null | typeof STALE_REPLICA = STALE_REPLICA;
  if (Date.now() >= replicaStaleUntil) {
    ctx = await readLoginContext(replicaOf(db), identityId, { fromReplica: true });
    if (ctx === STALE_REPLICA) replicaStaleUntil = Date.now() + CONFIG_CACHE_TTL_MS;
  }
  if (ctx === STALE_REPLICA || !ctx?.config) ctx = await readLoginContext(db, identityId);
  cache.set(identityId, ctx, CONFIG_CACHE_TTL_MS);
  return ctx;
}

/** Whether this isolate holds a fresh login context (or a fresh "no such identity") for this id. */
export function hasLoginContext(identityId: string): boolean {
  return cache.peek(identityId)?.fresh === true;
}

/** Reads through the nearest replica; where the binding has no Sessions API (older runtimes), the primary. */
function replicaOf(db: D1Database): D1Database {
  if (typeof db.withSession !== "function") return db;
  return guardedD1(db.withSession("first-unconstrained") as unknown as D1Database);
}

/** A replica whose heartbeat is too old (or absent): its answer is not used. */
const STALE_REPLICA = Symbol("stale replica");
/** After a stale answer, this isolate reads the primary directly for CONFIG_CACHE_TTL_MS. */
let replicaStaleUntil = 0;

async function readLoginContext(db: D1Database, identityId: string): Promise<LoginContext | null>;
async function readLoginContext(
  db: D1Database,
  identityId: string,
  opts: { fromReplica: true },
): Promise<LoginContext | null | typeof STALE_REPLICA>;
async function readLoginContext(
  db: D1Database,
  identityId: string,
  opts: { fromReplica?: boolean } = {},
): Promise<LoginContext | null | typeof STALE_REPLICA> {
  const statements = [
    identityStatement(db, identityId),
    organizationOfIdentityStatement(db, identityId),
    oidcAuthConfigStatement(db, identityId),
  ];
  if (opts.fromReplica) statements.push(heartbeatStatement(db));
  const [identityRows, organizationRows, configRows, heartbeatRows] = await db.batch(statements);
  if (opts.fromReplica && !replicaIsRecent(heartbeatRows?.results[0], nowMs())) return STALE_REPLICA;
  const identityRow = identityRows?.results[0];
  const organizationRow = organizationRows?.results[0];
  if (!identityRow || !organizationRow) return null;
  const configRow = configRows?.results[0] as OidcAuthRow | undefined;
  return {
    identity: identityFromRow(identityRow),
    organization: organizationFromRow(organizationRow),
    config: configRow ? toConfig(configRow) : null,
  };
}

export function forgetLoginContext(identityId: string): void {
  cache.delete(identityId);
}

/** Drops every login context of this isolate (tests, and the global bench's "cold isolate"). */
export function forgetAllLoginContexts(): void {
  cache.clear();
  replicaStaleUntil = 0;
}
