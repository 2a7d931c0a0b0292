import * as z from "zod";
import { getOrganization, getOrganizationBySlug, insertOrganizationStatement, listOrganizations } from "../storage/organizations";
import { LOCATION_HINTS, type Organization } from "../storage/records";
import { assertAdminKey, assertOrgAccess, type AdminContext } from "./actor";
import { writeAudited } from "./audit";
import { DomainError, Reason } from "../errors";
import { isUniqueViolation } from "../storage/guarded-d1";
import { displayName } from "./display-name";

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const slugSchema = z.string().trim().min(1).max(64).regex(SLUG, "lowercase letters, digits and single dashes");

export const createOrganizationInput = z.object({
  name: displayName,
  slug: slugSchema.optional().describe("unique; 409 when taken. Omitted: made from the name, suffixed if taken"),
  locationHint: z
    .enum(LOCATION_HINTS)
    .nullable()
    .optional()
    .describe(
      "Durable Object location hint (wnam, enam, sam, weur, eeur, apac, oc, afr, me): new identities' token state is created there, near the organization's CI runners. Omitted: none (docs/architecture.md, Placement)",
    ),
});

export function slugify(name: string): string {
  const s = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return s || "org";
}

const slugTaken = () => new DomainError(Reason.slug_taken, "An organization with this slug already exists");

export async function createOrganization(ctx: AdminContext, input: z.output<typeof createOrganizationInput>): Promise<Organization> {
  assertAdminKey(ctx.actor);
  const db = ctx.env.DB;
  let slug = input.slug ?? slugify(input.name);
  if (await getOrganizationBySlug(db, slug)) {
    if (input.slug) throw slugTaken();
    slug = `${slug}-${crypto.randomUUID().slice(0, 6)}`;
  }
  const { statement, organization } = insertOrganizationStatement(db, { name: input.name, slug, locationHint: input.locationHint });
  try {
    await writeAudited(ctx, [statement], { event: "organization.create", orgId: organization.id, after: organization });
  } catch (err) {
    // Another request took the slug between our check and our insert: a conflict, not a 500.
    if (isUniqueViolation(err)) throw slugTaken();
    throw err;
  }
  return organization;
}

export function listVisibleOrganizations(ctx: AdminContext): Promise<Organization[]> {
  return listOrganizations(ctx.env.DB, ctx.actor.kind === "identity" ? [ctx.actor.orgId] : undefined);
}

export async function getManagedOrganization(ctx: AdminContext, id: string): Promise<Organization> {
  assertOrgAccess(ctx.actor, id);
  const organization = await getOrganization(ctx.env.DB, id);
  if (!organization) throw new DomainError(Reason.organization_not_found);
  return organization;
}
