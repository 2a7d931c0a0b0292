import { canonicalId } from "../storage/ids";
import * as z from "zod";
import {
  deleteIdentityStatement,
  getIdentity,
  insertIdentityStatement,
  listIdentities,
  updateIdentityStatement,
} from "../storage/identities";
import { getOrganization } from "../storage/organizations";
import { getManagedOrganization } from "./organizations";
import { ORG_ROLES, type Identity, type Organization } from "../storage/records";
import { stateObject } from "../tokens/token-state-client";
import { errorName, log } from "../observability/log";
import { assertOrgAccess, type AdminContext } from "./actor";
import { changed, writeAudited } from "./audit";
import { propagateIdentityChange } from "./propagate";
import { orgQuotas } from "../env";
import { DomainError, Reason } from "../errors";
import { displayName } from "./display-name";

const identityName = displayName;
const orgRole = z.enum(ORG_ROLES).describe("organization role; `admin` may use the admin API in its organization");

export const createIdentityInput = z.object({
  name: identityName,
  organizationId: z.string().trim().min(1).max(64).transform(canonicalId).describe("the organization the identity belongs to"),
  role: orgRole.default("no-access"),
});

export const updateIdentityInput = z
  .object({ name: identityName.optional(), role: orgRole.optional() })
  .refine((v) => v.name !== undefined || v.role !== undefined, "send name or role");

/** The API shape (Infisical's): no internal Durable Object id. */
export function publicIdentity(i: Identity) {
  return {
    id: i.id,
    name: i.name,
    orgId: i.orgId,
    role: i.role,
    authMethods: i.authMethods,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

/**
 * An identity as Infisical's reads answer it (GET one, the list): its organization membership, with the
 * identity nested. We keep no separate membership row (an identity has exactly one organization), so the
 * membership's `id` is the identity's id: a client that takes `identity.id` of a read for the identity's
 * id (as ours did) stays right. `roleId` is null: Infisical sets it for custom roles only, and there are
 * none here. `name` and `authMethods` are ours, kept beside Infisical's fields for existing clients.
 */
export function identityMembership(i: Identity) {
  return {
    id: i.id,
    identityId: i.id,
    orgId: i.orgId,
    role: i.role,
    roleId: null,
    name: i.name,
    authMethods: i.authMethods,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
    identity: { id: i.id, name: i.name, authMethods: i.authMethods },
  };
}

/** An identity the actor may manage: 404 when missing, 403 when in another organization. */
export async function getManagedIdentity(ctx: AdminContext, id: string): Promise<Identity> {
  const identity = await getIdentity(ctx.env.DB, id);
  if (!identity) throw new DomainError(Reason.identity_not_found);
  assertOrgAccess(ctx.actor, identity.orgId);
  return identity;
}

/**
 * Creates the identity's token-state object where its organization's location hint says (Cloudflare only
 * reads a hint on the call that creates an object, and never moves one). After the answer and best effort:
 * an object not created here is created by its first use, near that request (docs/architecture.md,
 * "Placement").
 */
function placeStateObject(ctx: AdminContext, hexId: string, hint: Organization["locationHint"]): void {
  if (!hint) return;
  ctx.waitUntil(
    Promise.resolve(stateObject(ctx.env, hexId, hint).policyChanged()).catch((err: unknown) =>
      log("warn", "state_object_placement_failed", { name: errorName(err) }),
    ),
  );
}

export async function createIdentity(ctx: AdminContext, input: z.output<typeof createIdentityInput>): Promise<Identity> {
  assertOrgAccess(ctx.actor, input.organizationId);
  const organization = await getOrganization(ctx.env.DB, input.organizationId);
  if (!organization) throw new DomainError(Reason.organization_not_found);
  const limit = orgQuotas(ctx.env).identities;
  const { statement, identity } = insertIdentityStatement(
    ctx.env.DB,
    {
      orgId: input.organizationId,
      name: input.name,
      role: input.role,
      // Each identity gets its own token-state Durable Object (docs/architecture.md, "Token state").
      stateObject: ctx.env.TOKEN_STATE.newUniqueId().toString(),
    },
    limit,
  );
  const results = await writeAudited(ctx, [statement], {
    event: "identity.create",
    orgId: identity.orgId,
    identityId: identity.id,
    after: publicIdentity(identity),
  });
  if (!changed(results)) {
    throw new DomainError(Reason.quota_exceeded, `The organization already has ${limit} identities, its quota`, {
      details: { quota: "identities", limit },
    });
  }
  placeStateObject(ctx, identity.stateObject, organization.locationHint);
  return identity;
}

export async function listOrganizationIdentities(ctx: AdminContext, orgId: string): Promise<Identity[]> {
  assertOrgAccess(ctx.actor, orgId);
  const identities = await listIdentities(ctx.env.DB, orgId);
  // An empty list from an organization that does not exist is a typo to say, not an empty organization.
  if (identities.length === 0) await getManagedOrganization(ctx, orgId);
  return identities;
}

export async function updateManagedIdentity(
  ctx: AdminContext,
  id: string,
  input: z.output<typeof updateIdentityInput>,
): Promise<Identity> {
  const before = await getManagedIdentity(ctx, id);
  const { statement, identity: after } = updateIdentityStatement(ctx.env.DB, before, input);
  const results = await writeAudited(ctx, [statement], {
    event: "identity.update",
    orgId: before.orgId,
    identityId: before.id,
    before: publicIdentity(before),
    after: publicIdentity(after),
  });
  if (!changed(results)) throw new DomainError(Reason.identity_not_found); // deleted meanwhile
  await propagateIdentityChange(ctx.env, before);
  return after;
}

export async function deleteManagedIdentity(ctx: AdminContext, id: string): Promise<Identity> {
  const identity = await getManagedIdentity(ctx, id);
  const results = await writeAudited(ctx, [deleteIdentityStatement(ctx.env.DB, identity.id)], {
    event: "identity.delete",
    orgId: identity.orgId,
    identityId: identity.id,
    before: publicIdentity(identity),
  });
  if (!changed(results)) throw new DomainError(Reason.identity_not_found); // deleted meanwhile
  await propagateIdentityChange(ctx.env, identity);
  return identity;
}
