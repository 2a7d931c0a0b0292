import { enforceConfigPolicy } from "../oidc/config-policy";
import { parseOidcConfig } from "../oidc/config-schema";
import {
  deleteOidcAuthConfigStatement,
  getOidcAuthConfig,
  insertOidcAuthConfigStatement,
  replaceOidcAuthConfigStatement,
} from "../storage/oidc-auth-configs";
import type { Identity, OidcAuthConfig } from "../storage/records";
import type { AdminContext } from "./actor";
import { changed, writeAudited } from "./audit";
import { getManagedIdentity } from "./identities";
import { propagateIdentityChange } from "./propagate";
import { allowInsecureIssuers } from "../env";
import { ipRangeParts } from "../net/ip-ranges";
import { DomainError, Reason } from "../errors";
import { encodeHex } from "../encoding/hex";
import { sha256 } from "../encoding/sha256";

/**
 * The API shape of a configuration (Infisical's): trusted IPs as `{ ipAddress, type, prefix }`, the address
 * without its prefix and no prefix for a single address, as Infisical answers them. Stored, audited and
 * shown by the console as the text written (`10.0.0.0/8`).
 */
export function publicOidcAuth(config: OidcAuthConfig) {
  return { ...config, accessTokenTrustedIps: config.accessTokenTrustedIps.map((i) => ipRangeParts(i.ipAddress)) };
}

/**
 * A configuration as the audit records it: the CA certificate as its SHA-256 fingerprint (docs/security.md,
 * "Audit trail": certificates are not recorded; a change of one still shows, as a changed fingerprint).
 */
async function audited(config: OidcAuthConfig): Promise<OidcAuthConfig> {
  if (!config.caCert) return config;
  return { ...config, caCert: `sha256:${encodeHex(await sha256(config.caCert))}` };
}

/**
 * Validates raw input (JSON body or console form) for a new or changed configuration, in this order: the
 * fields (422 invalid_oidc_config), then the condition compiles (condition_invalid), then an owner is
 * pinned (binding_too_broad).
 */
function validated(ctx: AdminContext, input: unknown, existing: OidcAuthConfig | null) {
  const result = parseOidcConfig(input, existing, { allowInsecure: allowInsecureIssuers(ctx.env) });
  if (!result.ok) {
    const summary = result.issues.map((i) => (i.field ? `${i.field} ${i.message}` : i.message)).join("; ");
    throw new DomainError(Reason.invalid_oidc_config, `Invalid OIDC Auth configuration: ${summary}`, { details: result.issues });
  }
  enforceConfigPolicy(result.fields);
  return result.fields;
}

/** The identity the admin manages and its configuration (404 `oidc_auth_not_configured` without one). */
export async function managedOidcAuth(ctx: AdminContext, identityId: string) {
  const identity = await getManagedIdentity(ctx, identityId);
  const config = await getOidcAuthConfig(ctx.env.DB, identity.id);
  if (!config) throw new DomainError(Reason.oidc_auth_not_configured);
  return { identity, config };
}

export async function getOidcAuth(ctx: AdminContext, identityId: string): Promise<OidcAuthConfig> {
  return (await managedOidcAuth(ctx, identityId)).config;
}

export async function attachOidcAuth(ctx: AdminContext, identityId: string, input: unknown): Promise<OidcAuthConfig> {
  const identity = await getManagedIdentity(ctx, identityId);
  const fields = validated(ctx, input, null);
  const { statement, config: created } = insertOidcAuthConfigStatement(ctx.env.DB, identity.id, fields);
  const results = await writeAudited(ctx, [statement], {
    event: "oidc-auth.attach",
    orgId: identity.orgId,
    identityId: identity.id,
    after: await audited(created),
  });
  if (!changed(results)) throw new DomainError(Reason.auth_method_exists);
  await propagateIdentityChange(ctx.env, identity);
  return created;
}

export async function updateOidcAuth(ctx: AdminContext, identityId: string, input: unknown): Promise<OidcAuthConfig> {
  const { identity, config: before } = await managedOidcAuth(ctx, identityId);
  const fields = validated(ctx, input, before);
  const { statement, config: after } = replaceOidcAuthConfigStatement(ctx.env.DB, before, fields);
  const results = await writeAudited(ctx, [statement], {
    event: "oidc-auth.update",
    orgId: identity.orgId,
    identityId: identity.id,
    before: await audited(before),
    after: await audited(after),
  });
  if (!changed(results)) throw new DomainError(Reason.oidc_auth_not_configured); // detached meanwhile
  await propagateIdentityChange(ctx.env, identity);
  return after;
}

/**
 * The configuration a PATCH with `input` would save (validated exactly as updateOidcAuth validates it, 422
 * `invalid_oidc_config`), next to the current one; nothing is saved.
 */
export async function proposedOidcAuth(
  ctx: AdminContext,
  identityId: string,
  input: unknown,
): Promise<{ identity: Identity; current: OidcAuthConfig; proposed: OidcAuthConfig }> {
  const { identity, config: current } = await managedOidcAuth(ctx, identityId);
  return { identity, current, proposed: { ...current, ...validated(ctx, input, current) } };
}

export async function detachOidcAuth(ctx: AdminContext, identityId: string): Promise<OidcAuthConfig> {
  const { identity, config } = await managedOidcAuth(ctx, identityId);
  const results = await writeAudited(ctx, [deleteOidcAuthConfigStatement(ctx.env.DB, identity.id)], {
    event: "oidc-auth.detach",
    orgId: identity.orgId,
    identityId: identity.id,
    before: await audited(config),
  });
  if (!changed(results)) throw new DomainError(Reason.oidc_auth_not_configured); // detached meanwhile
  await propagateIdentityChange(ctx.env, identity);
  return config;
}
