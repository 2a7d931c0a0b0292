import { Hono } from "../../hono";
import * as z from "zod";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import {
  createIdentity,
  createIdentityInput,
  deleteManagedIdentity,
  getManagedIdentity,
  identityMembership,
  listOrganizationIdentities,
  publicIdentity,
  updateIdentityInput,
  updateManagedIdentity,
} from "../../admin/identities";
import { listIdentityTokens, revokeAllIdentityTokens, revokeIdentityToken } from "../../admin/tokens";
import { requireAdmin } from "../admin-auth";
import { readBody } from "../body";
import { organizationParam, organizationParams } from "../organization-param";
import { readQuery } from "../query";
import { adminContext, type AppContext, type AppEnv } from "../../request-context";
import { DomainError, Reason } from "../../errors";
import { ADMIN_ERRORS, CHANGE_ERRORS, del, documented, get, LOOKUP_ERRORS, patch, post, TAGS } from "../openapi/route-doc";
import { envelope, identityOrgMembershipSchema, identitySchema, ignoredWarnings, issuedTokenSchema } from "../openapi/schemas";

const IDENTITIES = "/api/v1/identities";
const IDENTITY = "/api/v1/identities/:id";
const TOKENS = "/api/v1/identities/:id/access-tokens";
const REVOKE_TOKEN = "/api/v1/identities/:id/access-tokens/:tokenId/revoke";
const REVOKE_ALL_TOKENS = "/api/v1/identities/:id/access-tokens/revoke-all";

/**
 * `?organizationId=`, or `?orgId=` (src/http/organization-param.ts); an org-admin identity may omit it and
 * gets its own organization.
 */
export function organizationQuery(c: AppContext): string {
  const orgId =
    organizationParam(readQuery(c, organizationIdQuery, "organization")) ??
    (c.var.actor.kind === "identity" ? c.var.actor.orgId : undefined);
  if (!orgId) throw new DomainError(Reason.invalid_request, "organizationId (or orgId) query parameter is required");
  return orgId;
}

/** The query organizationQuery reads. */
export const organizationIdQuery = z.object({
  ...organizationParams,
  organizationId: organizationParams.organizationId.describe(
    "required with the admin key; an org-admin identity's token defaults to its own organization",
  ),
});

export const identityAdminRoutes = new Hono<AppEnv>()
  .use(IDENTITIES, requireAdmin)
  .use(IDENTITY, requireAdmin)
  // `${TOKENS}/*` covers TOKENS itself (Hono's `/x/*` matches `/x`): one registration, one use.
  .use(`${TOKENS}/*`, requireAdmin)
  .post(IDENTITIES, async (c) => {
    const input = await readBody(c, createIdentityInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ identity: publicIdentity(await createIdentity(adminContext(c), input)) });
  })
  .get(IDENTITIES, async (c) => {
    const identities = await listOrganizationIdentities(adminContext(c), organizationQuery(c));
    return c.json({ identities: identities.map(identityMembership), totalCount: identities.length });
  })
  .get(IDENTITY, async (c) => c.json({ identity: identityMembership(await getManagedIdentity(adminContext(c), c.req.param("id"))) }))
  .patch(IDENTITY, async (c) => {
    const input = await readBody(c, updateIdentityInput, MAX_ADMIN_BODY_BYTES);
    return c.json({ identity: publicIdentity(await updateManagedIdentity(adminContext(c), c.req.param("id"), input)) });
  })
  .delete(IDENTITY, async (c) => c.json({ identity: publicIdentity(await deleteManagedIdentity(adminContext(c), c.req.param("id"))) }))
  .get(TOKENS, async (c) => c.json({ accessTokens: await listIdentityTokens(adminContext(c), c.req.param("id")) }))
  .post(REVOKE_TOKEN, async (c) =>
    c.json({ accessToken: await revokeIdentityToken(adminContext(c), c.req.param("id"), c.req.param("tokenId")) }),
  )
  .post(REVOKE_ALL_TOKENS, async (c) => c.json(await revokeAllIdentityTokens(adminContext(c), c.req.param("id"))));

const identity = envelope("identity", identitySchema);
export const identityDocs = documented(identityAdminRoutes, TAGS.identities, [
  post(IDENTITIES, "Create a machine identity", {
    description: "409 `quota_exceeded` when the organization has `ORG_MAX_IDENTITIES` identities already.",
    body: createIdentityInput,
    response: identity,
    errors: [...LOOKUP_ERRORS, 409, 422, 503],
  }),
  get(IDENTITIES, "List the identities of an organization", {
    description: "Infisical's shape: each identity as its organization membership (as GET one answers it), and `totalCount`.",
    query: organizationIdQuery,
    response: z.object({ identities: identityOrgMembershipSchema.array(), totalCount: z.number().int(), warnings: ignoredWarnings }),
    errors: [...ADMIN_ERRORS, 422],
  }),
  get(IDENTITY, "Get an identity", {
    description:
      "Infisical's shape: the identity's organization membership, with the identity nested (`identity.identity`). The " +
      "membership's `id` is the identity's id (there is one membership per identity); `roleId` is null (no custom roles).",
    response: envelope("identity", identityOrgMembershipSchema),
    errors: LOOKUP_ERRORS,
  }),
  patch(IDENTITY, "Rename an identity or change its organization role", {
    body: updateIdentityInput,
    response: identity,
    errors: CHANGE_ERRORS,
  }),
  del(IDENTITY, "Delete an identity", {
    description: "Its live tokens fail at their next use.",
    response: identity,
    errors: CHANGE_ERRORS,
  }),
  get(TOKENS, "List an identity's unexpired access tokens", {
    response: envelope("accessTokens", issuedTokenSchema.array()),
    errors: LOOKUP_ERRORS,
  }),
  post(REVOKE_TOKEN, "Revoke one of an identity's access tokens by id", {
    response: envelope("accessToken", issuedTokenSchema),
    errors: [...LOOKUP_ERRORS, 503],
  }),
  post(REVOKE_ALL_TOKENS, "Revoke all of an identity's access tokens", {
    description:
      "Every token of the identity first issued at or before this second is refused (`token_revoked`) from the moment " +
      "this answers, on every token-state shard. It answers once that second is over (up to 1 s), so logins after the answer " +
      "are not affected. 503 `propagation_failed`: saved, retry.",
    response: z.object({ revokedBefore: z.number().int().describe("Unix seconds: tokens first issued at or before it are revoked") }),
    errors: [...LOOKUP_ERRORS, 503],
  }),
]);
