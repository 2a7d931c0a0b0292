/**
 * Every endpoint of the API, with the schemas it reads and answers. Request schemas are the ones the
 * route modules parse with (imported, not copied); response schemas live in ./schemas.ts. A route added
 * to the app without an entry here fails test/integration/openapi.test.ts.
 *
 * Paths are written the Hono way (`:id`); the document turns them into OpenAPI's `{id}`.
 */
import * as z from "zod";
import { createIdentityInput, updateIdentityInput } from "../../admin/identities";
import { createOrganizationInput } from "../../admin/organizations";
import { createProjectInput, membershipRolesInput } from "../../admin/projects";
import { oidcConfigInputSchema } from "../../oidc/config-schema";
import { auditQuery } from "../routes/audit-logs";
import { loginBody } from "../routes/login";
import { tokenBody } from "../routes/token-lifecycle";
import {
  auditLogSchema,
  envelope,
  identityDetailsSchema,
  identityMembershipSchema,
  identityOidcAuthSchema,
  identitySchema,
  issuedTokenSchema,
  jwksSchema,
  organizationSchema,
  projectSchema,
  tokenResponseSchema,
} from "./schemas";

export type HttpMethod = "get" | "post" | "patch" | "delete";

/**
 * Who may call: `none` (public), `accessToken` (an identity's access token), `admin` (the admin key, or
 * the access token of an org-admin identity, limited to its organization), `adminKey` (the admin key only).
 */
export type RouteAuth = "none" | "accessToken" | "admin" | "adminKey";

export interface RouteDoc {
  method: HttpMethod;
  path: string;
  tag: Tag;
  summary: string;
  description?: string;
  auth: RouteAuth;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The body may also be sent as application/x-www-form-urlencoded (Infisical's GitHub Action does). */
  formBody?: boolean;
  /** TEMPORARY, for the OIDC Auth configuration only (OIDC_FIELDS below). */
  bodyFields?: Record<string, string>;
  /** 200 response: a JSON schema, or an HTML page. */
  response: z.ZodType | "html";
  /** Error statuses this route answers with (the body is always the Error schema). */
  errors: number[];
}

export const TAGS = {
  login: "Login and tokens",
  identity: "Token details",
  orgs: "Organizations",
  identities: "Identities",
  oidc: "OIDC Auth configuration",
  projects: "Projects and memberships",
  audit: "Audit logs",
  meta: "Service",
} as const;
type Tag = (typeof TAGS)[keyof typeof TAGS];

/** Query of the list routes that take an organization (an org-admin identity may omit it). */
export const organizationIdQuery = z.object({
  organizationId: z
    .string()
    .optional()
    .describe("required with the admin key; an org-admin identity's token defaults to its own organization"),
});

/**
 * TEMPORARY: what each OIDC Auth field means (the README's table, "OIDC Auth configuration fields").
 * Every other request schema describes its own fields (`.describe()`); these belong on
 * `oidcConfigInputSchema` in src/oidc/config-schema.ts, where the console work adds them. A description on
 * the schema wins over the one here; once they are all there, delete this and `bodyFields`.
 */
const OIDC_FIELDS: Record<string, string> = {
  oidcDiscoveryUrl: "the issuer's base URL; `/.well-known/openid-configuration` is appended",
  boundIssuer: "exact `iss`; must also equal the discovery document's `issuer`",
  caCert: "PEM; stored (default empty)",
  boundSubject: "one pattern for `sub` (`*`, `**`, `?`; default empty)",
  boundAudiences: "comma-separated patterns; one must match an `aud` entry",
  boundClaims: "claim (or dot path) -> comma-separated patterns; every key must match",
  claimMetadataMapping: "metadata key -> claim path, copied into the access token",
  accessTokenTTL: "seconds (default 2592000); not above accessTokenMaxTTL",
  accessTokenMaxTTL: "seconds from first issuance, over all renewals (default 2592000; 0 = deployment ceiling)",
  accessTokenNumUsesLimit: "uses per token (default 0 = unlimited)",
  accessTokenTrustedIps: "IPs or CIDRs, v4 or v6, checked on every use (default 0.0.0.0/0 and ::/0)",
  jwksUrl: "use this JWKS URL instead of discovery's `jwks_uri`",
  jwksJson: "a JWKS supplied by the admin, for IdPs the Worker cannot reach",
  replayProtection: "refuse a second login with the same ID token (`iss`, `jti`) while it is valid",
};

/** POST needs the two fields PATCH may leave out; everything else is the same schema the route parses. */
const oidcConfigCreateInput = oidcConfigInputSchema.required({ oidcDiscoveryUrl: true, boundIssuer: true });

const ADMIN_ERRORS = [401, 403, 429];
const USE_ERRORS = [401, 403, 503];
/** Changes that notify the identity's Durable Object answer 503 when it cannot be told (the change is saved). */
const CHANGE_ERRORS = [...ADMIN_ERRORS, 404, 422, 503];

const ok = (description: string) => z.object({ message: z.string().describe(description) });

export const ROUTES: RouteDoc[] = [
  // --- Service ---------------------------------------------------------------------------------------
  {
    method: "get",
    path: "/",
    tag: TAGS.meta,
    summary: "Service index",
    auth: "none",
    response: z.object({ service: z.string(), docs: z.string(), jwks: z.string() }),
    errors: [],
  },
  {
    method: "get",
    path: "/api/status",
    tag: TAGS.meta,
    summary: "Liveness",
    auth: "none",
    response: z.object({ status: z.literal("ok") }),
    errors: [],
  },
  {
    method: "get",
    path: "/openapi.json",
    tag: TAGS.meta,
    summary: "This OpenAPI 3.1 document",
    auth: "none",
    response: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
    errors: [],
  },
  {
    method: "get",
    path: "/docs",
    tag: TAGS.meta,
    summary: "API reference (HTML, no external assets)",
    auth: "none",
    response: "html",
    errors: [],
  },
  {
    method: "get",
    path: "/.well-known/jwks.json",
    tag: TAGS.meta,
    summary: "Public keys of our access tokens",
    description:
      "For services that validate access tokens offline (ES256, `iss` and `aud` are `edge-oidc-auth`, `typ` is `at+jwt`). " +
      "Offline validation cannot see revocation, max uses or trusted IPs; see docs/consumers.md.",
    auth: "none",
    response: jwksSchema,
    errors: [503],
  },

  // --- Login and tokens ------------------------------------------------------------------------------
  {
    method: "post",
    path: "/api/v1/auth/oidc-auth/login",
    tag: TAGS.login,
    summary: "Log in with an OIDC ID token",
    description:
      "Exchanges a CI job's ID token (GitLab `id_tokens`, GitHub Actions OIDC, any OIDC issuer) for an access token of the identity. " +
      "Every refusal is a 401 whose `reasonCode` names the rule that failed (`subject_not_allowed`, `audience_not_allowed`, " +
      "`claim_not_allowed: <claim>`, `issuer_mismatch`, `token_expired`, `signature_invalid`, ...).",
    auth: "none",
    body: loginBody,
    formBody: true,
    response: tokenResponseSchema,
    errors: [401, 404, 413, 422, 429, 503],
  },
  {
    method: "post",
    path: "/api/v1/auth/token/renew",
    tag: TAGS.login,
    summary: "Renew an access token",
    description: "A new token with the same id, never past the max TTL counted from first issuance. Not a use of the token.",
    auth: "none",
    body: tokenBody,
    formBody: true,
    response: tokenResponseSchema,
    errors: [401, 403, 413, 422, 429, 503],
  },
  {
    method: "post",
    path: "/api/v1/auth/token/revoke",
    tag: TAGS.login,
    summary: "Revoke an access token",
    description: "Possession of the token is the authorisation; works on expired tokens too. Every later use or renewal fails.",
    auth: "none",
    body: tokenBody,
    formBody: true,
    response: ok('"Successfully revoked access token"'),
    errors: [401, 413, 422, 429, 503],
  },
  {
    method: "get",
    path: "/api/v1/identities/details",
    tag: TAGS.identity,
    summary: "Who this access token is",
    description: "A use of the token: counts against its max uses and checks its trusted IPs.",
    auth: "accessToken",
    response: envelope("identityDetails", identityDetailsSchema),
    errors: USE_ERRORS,
  },

  // --- Organizations ---------------------------------------------------------------------------------
  {
    method: "post",
    path: "/api/v1/organizations",
    tag: TAGS.orgs,
    summary: "Create an organization",
    auth: "adminKey",
    body: createOrganizationInput,
    response: envelope("organization", organizationSchema),
    errors: [...ADMIN_ERRORS, 409, 422],
  },
  {
    method: "get",
    path: "/api/v1/organizations",
    tag: TAGS.orgs,
    summary: "List organizations",
    description: "All of them with the admin key; its own with an org-admin identity's token.",
    auth: "admin",
    response: envelope("organizations", z.array(organizationSchema)),
    errors: ADMIN_ERRORS,
  },
  {
    method: "get",
    path: "/api/v1/organizations/:id",
    tag: TAGS.orgs,
    summary: "Get an organization",
    auth: "admin",
    response: envelope("organization", organizationSchema),
    errors: [...ADMIN_ERRORS, 404],
  },

  // --- Identities ------------------------------------------------------------------------------------
  {
    method: "post",
    path: "/api/v1/identities",
    tag: TAGS.identities,
    summary: "Create a machine identity",
    auth: "admin",
    body: createIdentityInput,
    response: envelope("identity", identitySchema),
    errors: [...ADMIN_ERRORS, 404, 422],
  },
  {
    method: "get",
    path: "/api/v1/identities",
    tag: TAGS.identities,
    summary: "List the identities of an organization",
    auth: "admin",
    query: organizationIdQuery,
    response: envelope("identities", z.array(identitySchema)),
    errors: [...ADMIN_ERRORS, 422],
  },
  {
    method: "get",
    path: "/api/v1/identities/:id",
    tag: TAGS.identities,
    summary: "Get an identity",
    auth: "admin",
    response: envelope("identity", identitySchema),
    errors: [...ADMIN_ERRORS, 404],
  },
  {
    method: "patch",
    path: "/api/v1/identities/:id",
    tag: TAGS.identities,
    summary: "Rename an identity or change its organization role",
    auth: "admin",
    body: updateIdentityInput,
    response: envelope("identity", identitySchema),
    errors: CHANGE_ERRORS,
  },
  {
    method: "delete",
    path: "/api/v1/identities/:id",
    tag: TAGS.identities,
    summary: "Delete an identity",
    description: "Its live tokens fail at their next use.",
    auth: "admin",
    response: envelope("identity", identitySchema),
    errors: CHANGE_ERRORS,
  },
  {
    method: "get",
    path: "/api/v1/identities/:id/access-tokens",
    tag: TAGS.identities,
    summary: "List an identity's unexpired access tokens",
    auth: "admin",
    response: envelope("accessTokens", z.array(issuedTokenSchema)),
    errors: [...ADMIN_ERRORS, 404],
  },
  {
    method: "post",
    path: "/api/v1/identities/:id/access-tokens/:tokenId/revoke",
    tag: TAGS.identities,
    summary: "Revoke one of an identity's access tokens by id",
    auth: "admin",
    response: envelope("accessToken", issuedTokenSchema),
    errors: [...ADMIN_ERRORS, 404, 503],
  },

  // --- OIDC Auth configuration -----------------------------------------------------------------------
  {
    method: "post",
    path: "/api/v1/auth/oidc-auth/identities/:identityId",
    tag: TAGS.oidc,
    summary: "Attach OIDC Auth to an identity",
    description:
      "Omitted fields take their defaults. A configuration must bind the subject or at least one identifying claim. " +
      "400 `auth_method_exists` when the identity already has OIDC Auth.",
    auth: "admin",
    body: oidcConfigCreateInput,
    bodyFields: OIDC_FIELDS,
    response: envelope("identityOidcAuth", identityOidcAuthSchema),
    errors: [400, ...CHANGE_ERRORS],
  },
  {
    method: "patch",
    path: "/api/v1/auth/oidc-auth/identities/:identityId",
    tag: TAGS.oidc,
    summary: "Change an identity's OIDC Auth configuration",
    description: "Only the fields sent change; the result is validated as a whole.",
    auth: "admin",
    body: oidcConfigInputSchema,
    bodyFields: OIDC_FIELDS,
    response: envelope("identityOidcAuth", identityOidcAuthSchema),
    errors: CHANGE_ERRORS,
  },
  {
    method: "get",
    path: "/api/v1/auth/oidc-auth/identities/:identityId",
    tag: TAGS.oidc,
    summary: "Get an identity's OIDC Auth configuration",
    auth: "admin",
    response: envelope("identityOidcAuth", identityOidcAuthSchema),
    errors: [...ADMIN_ERRORS, 404],
  },
  {
    method: "delete",
    path: "/api/v1/auth/oidc-auth/identities/:identityId",
    tag: TAGS.oidc,
    summary: "Detach OIDC Auth from an identity",
    description: "Tokens issued under it fail at their next use, also after a new attach.",
    auth: "admin",
    response: envelope("identityOidcAuth", identityOidcAuthSchema),
    errors: CHANGE_ERRORS,
  },

  // --- Projects and memberships ----------------------------------------------------------------------
  {
    method: "post",
    path: "/api/v1/projects",
    tag: TAGS.projects,
    summary: "Create a project",
    auth: "admin",
    body: createProjectInput,
    response: envelope("project", projectSchema),
    errors: [...ADMIN_ERRORS, 404, 409, 422],
  },
  {
    method: "get",
    path: "/api/v1/projects",
    tag: TAGS.projects,
    summary: "List the projects of an organization",
    auth: "admin",
    query: organizationIdQuery,
    response: envelope("projects", z.array(projectSchema)),
    errors: [...ADMIN_ERRORS, 422],
  },
  {
    method: "get",
    path: "/api/v1/projects/:projectId",
    tag: TAGS.projects,
    summary: "Get a project",
    auth: "admin",
    response: envelope("project", projectSchema),
    errors: [...ADMIN_ERRORS, 404],
  },
  {
    method: "delete",
    path: "/api/v1/projects/:projectId",
    tag: TAGS.projects,
    summary: "Delete a project and its memberships",
    auth: "admin",
    response: envelope("project", projectSchema),
    errors: CHANGE_ERRORS,
  },
  {
    method: "get",
    path: "/api/v1/projects/:projectId/memberships/identities",
    tag: TAGS.projects,
    summary: "List a project's identity memberships",
    auth: "admin",
    response: envelope("identityMemberships", z.array(identityMembershipSchema)),
    errors: [...ADMIN_ERRORS, 404],
  },
  {
    method: "post",
    path: "/api/v1/projects/:projectId/memberships/identities/:identityId",
    tag: TAGS.projects,
    summary: "Add an identity to a project",
    description: "Body `{ roles: [{ role }] }`, or the older `{ role }`. 400 `membership_exists` when already a member.",
    auth: "admin",
    body: membershipRolesInput,
    response: envelope("identityMembership", identityMembershipSchema),
    errors: [400, ...CHANGE_ERRORS],
  },
  {
    method: "get",
    path: "/api/v1/projects/:projectId/memberships/identities/:identityId",
    tag: TAGS.projects,
    summary: "Get an identity's membership in a project",
    auth: "admin",
    response: envelope("identityMembership", identityMembershipSchema),
    errors: [...ADMIN_ERRORS, 404],
  },
  {
    method: "patch",
    path: "/api/v1/projects/:projectId/memberships/identities/:identityId",
    tag: TAGS.projects,
    summary: "Change an identity's project roles",
    auth: "admin",
    body: membershipRolesInput,
    response: envelope("identityMembership", identityMembershipSchema),
    errors: CHANGE_ERRORS,
  },
  {
    method: "delete",
    path: "/api/v1/projects/:projectId/memberships/identities/:identityId",
    tag: TAGS.projects,
    summary: "Remove an identity from a project",
    auth: "admin",
    response: envelope("identityMembership", identityMembershipSchema),
    errors: CHANGE_ERRORS,
  },

  // --- Audit logs ------------------------------------------------------------------------------------
  {
    method: "get",
    path: "/api/v1/audit-logs",
    tag: TAGS.audit,
    summary: "Login attempts and admin changes, newest first",
    description: "Paged: pass `nextCursor` of a page as `cursor` for the next one.",
    auth: "admin",
    query: auditQuery,
    response: z.object({ auditLogs: z.array(auditLogSchema), nextCursor: z.string().nullable() }),
    errors: [...ADMIN_ERRORS, 422],
  },
];
