/**
 * Response shapes of the API as zod schemas: the OpenAPI document (./document.ts) is generated from them,
 * and the tests validate real responses against that document. Request schemas are not repeated here:
 * each route module's entries (./route-doc.ts) point at the very schemas it parses with.
 *
 * The type assertions at the bottom tie each schema to the TypeScript type the code returns, so a field
 * added to a record without being documented here fails `npm run typecheck`.
 */
import * as z from "zod";
import { type ConfigWarning, WARNING_CODES } from "../../oidc/config-policy";
import type { Traffic } from "../../admin/traffic";
import type { AuditRecord } from "../../storage/audit-log";
import type { IssuedToken } from "../../storage/access-tokens";
import type { MembershipRole, Project } from "../../storage/projects";
import type { MembershipView } from "../../admin/projects";
import { LOCATION_HINTS, ORG_ROLES, PROJECT_ROLES, type Organization } from "../../storage/records";
import type { TokenResponse } from "../../tokens/issue";
import { LOGIN_EVENTS } from "../../tokens/audit";
import type { WhatIfResult } from "../../admin/what-if";
import type { ErrorBody } from "../errors";
import { type IgnoredKeysWarning, UNKNOWN_KEYS_IGNORED } from "../ignored-keys";
import { OAUTH_ERRORS, type OAuthErrorBody } from "../oauth-errors";

/**
 * A schema that becomes a named component (`#/components/schemas/<id>`) of the OpenAPI document. The id
 * goes to zod's global registry, where `.describe()` puts descriptions: the document reads both from there.
 */
const named = <S extends z.ZodType>(schema: S, id: string): S => schema.meta({ id });

const id = z.string().describe("UUID");
const timestamp = z.string().describe("ISO 8601 date-time");
const epochSeconds = z.number().int().describe("epoch seconds");

export const organizationSchema = named(
  z.object({
    id,
    name: z.string(),
    slug: z.string(),
    locationHint: z
      .enum(LOCATION_HINTS)
      .nullable()
      .describe("where its identities' token-state Durable Objects are created (docs/architecture.md, Placement)"),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  "Organization",
);

export const identitySchema = named(
  z.object({
    id,
    name: z.string(),
    orgId: id,
    role: z.enum(ORG_ROLES).describe("organization role"),
    authMethods: z.array(z.string()).describe('attached auth methods, e.g. ["oidc-auth"]'),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  "Identity",
);

export const identityOrgMembershipSchema = named(
  z.object({
    id: id.describe("the membership's id: the identity's id (one membership per identity)"),
    identityId: id,
    orgId: id,
    role: z.enum(ORG_ROLES).describe("organization role"),
    roleId: z.null().describe("a custom role's id in Infisical; null, there are only built-in roles"),
    name: z.string().describe("the identity's name (ours, beside Infisical's fields)"),
    authMethods: z.array(z.string()).describe('attached auth methods (ours, beside Infisical\'s fields), e.g. ["oidc-auth"]'),
    createdAt: timestamp,
    updatedAt: timestamp,
    identity: z.object({ id, name: z.string(), authMethods: z.array(z.string()) }),
  }),
  "IdentityOrgMembership",
);

export const identityOidcAuthSchema = named(
  z.object({
    id,
    identityId: id,
    oidcDiscoveryUrl: z.string(),
    boundIssuer: z.string(),
    caCert: z.string(),
    boundSubject: z.string(),
    boundAudiences: z.string(),
    boundClaims: z.record(z.string(), z.string()),
    condition: z.string().describe('the CEL condition, "" when there is none'),
    claimMetadataMapping: z.record(z.string(), z.string()).nullable(),
    accessTokenTTL: z.number().int(),
    accessTokenMaxTTL: z.number().int(),
    accessTokenNumUsesLimit: z.number().int(),
    accessTokenTrustedIps: z
      .array(
        z.object({
          ipAddress: z.string().describe("the address, without the prefix"),
          type: z.enum(["ipv4", "ipv6"]),
          prefix: z.number().int().optional().describe("the range's prefix length; absent for a single address"),
        }),
      )
      .describe('Infisical\'s shape: `{ ipAddress: "10.0.0.0", type: "ipv4", prefix: 8 }`; no `prefix` for a single address'),
    jwksUrl: z.string().nullable(),
    jwksJson: z.string().nullable(),
    replayProtection: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  "IdentityOidcAuth",
);

export const configWarningSchema = named(
  z
    .object({
      code: z.enum(Object.values(WARNING_CODES)).describe("stable, for programs (not a reasonCode: nothing was refused)"),
      field: z.string().describe("the configuration field concerned"),
      message: z.string().describe("for people"),
    })
    .describe(
      "Something to fix in a configuration that is accepted: `audience_unbound` (no audience is checked: tokens minted for another " +
        "relying party are accepted), `binding_too_broad` (stored before owner pinning was enforced: it still logs in, the next change " +
        "must pin an owner), `condition_invalid` (a stored condition that does not compile: every login is refused).",
    ),
  "ConfigWarning",
);

export const ignoredKeysWarningSchema = named(
  z
    .object({
      code: z.literal(UNKNOWN_KEYS_IGNORED),
      field: z.string().describe("the ignored paths, comma-separated"),
      keys: z
        .array(z.string())
        .describe("paths of the body's members that were ignored (`identityId`, `accessTokenTrustedIps.0.note`)"),
      message: z.string().describe("for people"),
    })
    .describe(
      "The request body had members this request does not take: they were ignored (as Infisical ignores them), not refused. " +
        "Their values are never echoed.",
    ),
  "IgnoredKeysWarning",
);

/** A configuration with what is to be said about it (`warnings`: [] when nothing). */
export const oidcAuthWithWarningsSchema = z.object({
  identityOidcAuth: identityOidcAuthSchema,
  warnings: z.array(z.union([configWarningSchema, ignoredKeysWarningSchema])),
});

export const projectSchema = named(
  z.object({ id, orgId: id, name: z.string(), slug: z.string(), createdAt: timestamp, updatedAt: timestamp }),
  "Project",
);

const projectRoles = z.array(z.object({ role: z.enum(PROJECT_ROLES) }));

export const membershipRoleSchema = named(
  z.object({
    id,
    role: z.enum(PROJECT_ROLES),
    customRoleId: z.null().describe("always null: there are no custom roles"),
    customRoleSlug: z.null().describe("always null: there are no custom roles"),
    isTemporary: z.boolean(),
    temporaryMode: z.literal("relative").nullable().describe("null for a permanent role"),
    temporaryRange: z.string().nullable().describe('as sent ("1h", "7d", ...); null for a permanent role'),
    temporaryAccessStartTime: timestamp.nullable().describe("null for a permanent role"),
    temporaryAccessEndTime: timestamp.nullable().describe("start + range; the role applies until then. null for a permanent role"),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  "MembershipRole",
);

export const identityMembershipSchema = named(
  z.object({
    id,
    identityId: id,
    projectId: id,
    roles: membershipRoleSchema.array().describe("every role granted, temporary ones also after their end time"),
    identity: z.object({ id, name: z.string(), authMethods: z.array(z.string()) }),
    project: z.object({ id, name: z.string() }),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  "IdentityMembership",
);

export const tokenResponseSchema = named(
  z.object({
    accessToken: z.string().describe("ES256 JWT; verify offline with GET /.well-known/jwks.json"),
    expiresIn: z.number().int().describe("seconds this token lives"),
    accessTokenMaxTTL: z.number().int().describe("seconds from first issuance past which no renewal reaches"),
    tokenType: z.literal("Bearer"),
  }),
  "TokenResponse",
);

export const identityDetailsSchema = named(
  z.object({
    organization: z.object({ id, name: z.string(), slug: z.string() }),
    identity: identitySchema,
    projectMemberships: z.array(z.object({ projectId: id, roles: projectRoles })),
    token: z.object({
      id: z.string().describe("the token's jti"),
      expiresAt: epochSeconds,
      usesLeft: z.number().int().nullable().describe("null when the token has no max-uses limit"),
    }),
  }),
  "IdentityDetails",
);

export const issuedTokenSchema = named(
  z.object({
    id: z.string().describe("the token's jti"),
    identityId: id,
    authMethod: z.string(),
    firstIssuedAt: epochSeconds,
    expiresAt: epochSeconds,
    maxExpiresAt: epochSeconds,
    numUsesLimit: z.number().int(),
    clientIp: z.string().nullable(),
    revokedAt: epochSeconds.nullable(),
  }),
  "IssuedAccessToken",
);

export const auditLogSchema = named(
  z.object({
    id,
    createdAt: timestamp,
    event: z.string().describe("login, token.renew, identity.create, ..."),
    outcome: z.enum(["success", "failure"]),
    reasonCode: z.string().nullable(),
    orgId: z.string().nullable(),
    identityId: z.string().nullable(),
    actor: z.string().nullable(),
    clientIp: z.string().nullable(),
    country: z.string().nullable(),
    colo: z.string().nullable(),
    tokenId: z.string().nullable(),
    details: z
      .unknown()
      .describe(
        "event-specific: of a login, the claims of its ID token once the signature verified (`claims`) and the rule that refused it (`failedRule`); of an admin change, `before` and `after`",
      ),
    count: z
      .number()
      .int()
      .min(1)
      .describe(
        "how many attempts the row stands for: 1, or, for logins naming no identity, all of one client address in the minute starting at createdAt",
      ),
  }),
  "AuditLog",
);

const outcome = z.enum(["admitted", "refused"]);

export const whatIfEntrySchema = named(
  z.object({
    at: timestamp.describe("when the attempt was made"),
    event: z
      .enum(LOGIN_EVENTS)
      .describe("how it came: `login` (Infisical's login) or `token.exchange` (the OAuth 2.0 token exchange, the same login)"),
    subject: z.string().nullable().describe("the ID token's `sub`"),
    before: outcome.describe("the current configuration's verdict on the recorded claims"),
    after: outcome.describe("the proposed configuration's verdict"),
    rule: z
      .object({
        rule: z.enum(["issuer", "subject", "audience", "claim", "condition"]),
        claim: z.string().optional().describe("for `claim`: the claim name"),
        conjunct: z.string().optional().describe("for `condition`: the top-level conjunct that was not true"),
        reasonCode: z.string().describe("the refusal's reasonCode, as a login would answer it"),
      })
      .describe("the deciding rule: the one the refusing configuration (before for gained, after for lost) applied"),
  }),
  "WhatIfEntry",
);

export const whatIfResultSchema = named(
  z.object({
    evaluated: z.number().int().describe("attempts replayed: gainedCount + lostCount + unchanged"),
    from: timestamp.describe("start of the window replayed"),
    to: timestamp.describe("end of the window (now)"),
    gained: z.array(whatIfEntrySchema).describe("refused before, admitted after; newest first, at most 100"),
    lost: z.array(whatIfEntrySchema).describe("admitted before, refused after; newest first, at most 100"),
    gainedCount: z.number().int().describe("all gained attempts, listed or not"),
    lostCount: z.number().int().describe("all lost attempts, listed or not"),
    unchanged: z.number().int().describe("attempts both configurations decide alike"),
    liveTokensEnded: z
      .number()
      .int()
      .describe(
        "live tokens (not expired, not revoked) the proposed configuration ends: those whose login's claims it refuses, or all of them when keySourceChanged",
      ),
    keySourceChanged: z
      .boolean()
      .describe(
        "the proposal takes the issuer's keys from another source (discovery URL, JWKS URL or JWKS): saving it ends every live token, and the replay assumes the new keys verify the recorded tokens",
      ),
    truncated: z.boolean().describe("a bound was reached: only the newest 10,000 attempts, or 10,000 live tokens, were read"),
  }),
  "WhatIfResult",
);

export const errorBodySchema = named(
  z.object({
    statusCode: z.number().int(),
    error: z.string().describe("HTTP status text"),
    message: z.string().describe("for humans; never contains a token"),
    reqId: z.string(),
    reasonCode: z.string().describe("stable machine-readable reason, e.g. audience_not_allowed"),
    details: z.unknown().optional().describe("e.g. the invalid fields of a 422"),
  }),
  "Error",
);

const trafficCounts = z.object({
  successes: z.number().int(),
  refusals: z.record(z.string(), z.number().int()).describe("reasonCode -> refusals"),
});
const trafficTotals = z.object({ successes: z.number().int(), refusals: z.number().int() });

export const loginTrafficSchema = named(
  z.object({
    organizationId: id,
    identityId: id.nullable().describe("null: the whole organization"),
    window: z.enum(["24h", "30d"]),
    bucket: z.enum(["hour", "day"]),
    from: timestamp,
    to: timestamp.describe("the window is [from, to)"),
    series: z.array(
      z.object({
        start: timestamp,
        login: trafficCounts.describe("Infisical-format logins (audit event login)"),
        tokenExchange: trafficCounts.describe("OAuth token exchanges (audit event token.exchange)"),
      }),
    ),
    totals: z.object({ login: trafficTotals, tokenExchange: trafficTotals }),
    refusalReasons: z
      .array(z.object({ reasonCode: z.string(), count: z.number().int(), login: z.number().int(), tokenExchange: z.number().int() }))
      .describe("every refusal reason of the window, most frequent first"),
  }),
  "LoginTraffic",
);

/** The /oauth/* endpoints' errors (src/http/oauth-errors.ts). */
export const oauthErrorSchema = named(
  z.object({
    error: z.enum(OAUTH_ERRORS).describe("the OAuth error code (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 6750 §3.1)"),
    error_description: z.string().describe("for humans; never contains a token"),
    reasonCode: z.string().describe("our stable reason, the same as the login's, e.g. audience_not_allowed"),
  }),
  "OAuthError",
);

export const tokenExchangeResponseSchema = named(
  z.object({
    access_token: z.string().describe("ES256 JWT, the same access token as the login's"),
    issued_token_type: z.literal("urn:ietf:params:oauth:token-type:access_token"),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().describe("seconds this token lives"),
  }),
  "TokenExchangeResponse",
);

export const serverMetadataSchema = named(
  z.object({
    issuer: z.string().describe("the issuer identifier: PUBLIC_URL, or the origin of the request when it is unset"),
    token_endpoint: z.string(),
    introspection_endpoint: z.string(),
    revocation_endpoint: z.string(),
    jwks_uri: z.string(),
    grant_types_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()).describe("none: there is no authorization endpoint"),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    subject_token_types_supported: z.array(z.string()).describe("extension: subject_token_type values of the token exchange"),
    issued_token_types_supported: z.array(z.string()).describe("extension: what the token exchange issues"),
    service_documentation: z.string(),
  }),
  "AuthorizationServerMetadata",
);
export type ServerMetadata = z.output<typeof serverMetadataSchema>;

export const introspectionSchema = named(
  z.union([
    z.object({ active: z.literal(false) }).describe("any token a use would refuse, or of another organization than the caller's"),
    z.object({
      active: z.literal(true),
      token_type: z.literal("Bearer"),
      iss: z.string().optional().describe("the issuer identifier the token was issued under"),
      sub: z.string().describe("the identity id"),
      exp: epochSeconds,
      iat: epochSeconds,
      jti: z.string().describe("the token's id"),
      identity_id: id,
      organization_id: id,
      org_role: z.enum(ORG_ROLES),
      project_roles: z.record(z.string(), z.array(z.string())).describe("project id -> the identity's roles there"),
      auth_method: z.string(),
      uses_left: z.number().int().nullable().describe("after this use; null when the token has no max-uses limit"),
      metadata: z.record(z.string(), z.string()).describe("claims copied by the identity's claimMetadataMapping"),
    }),
  ]),
  "Introspection",
);

export const jwksSchema = named(
  z.object({
    keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal("sig") }).describe("public JWK")),
  }),
  "JWKS",
);

/** An answer's `warnings`, present only when the request's body or query had names that were ignored. */
export const ignoredWarnings = z
  .array(ignoredKeysWarningSchema)
  .optional()
  .describe("only when members of the body or parameters of the query were ignored (src/http/ignored-keys.ts)");

/** `{ [key]: schema }`, the envelope every resource response uses (Infisical's shape), with `ignoredWarnings`. */
export const envelope = <S extends z.ZodType>(key: string, schema: S) => z.object({ [key]: schema, warnings: ignoredWarnings });

// ------------------------------------------------------------------------------------------------------
// Compile-time: each schema's output type equals the type the code returns (both directions).

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
type PublicIdentity = ReturnType<typeof import("../../admin/identities").publicIdentity>;
type IdentityOrgMembership = ReturnType<typeof import("../../admin/identities").identityMembership>;
type PublicOidcAuth = ReturnType<typeof import("../../admin/oidc-auth").publicOidcAuth>;

export type SchemaTypeChecks = [
  Assert<Equal<z.output<typeof organizationSchema>, Organization>>,
  Assert<Equal<z.output<typeof identitySchema>, PublicIdentity>>,
  Assert<Equal<z.output<typeof identityOrgMembershipSchema>, IdentityOrgMembership>>,
  Assert<Equal<z.output<typeof identityOidcAuthSchema>, PublicOidcAuth>>,
  Assert<Equal<z.output<typeof configWarningSchema>, ConfigWarning>>,
  Assert<Equal<z.output<typeof ignoredKeysWarningSchema>, IgnoredKeysWarning>>,
  Assert<Equal<z.output<typeof projectSchema>, Project>>,
  Assert<Equal<Omit<z.output<typeof identityMembershipSchema>, "roles">, Omit<MembershipView, "roles">>>,
  Assert<Equal<Omit<z.output<typeof membershipRoleSchema>, "role">, Omit<MembershipRole, "role">>>,
  Assert<Equal<z.output<typeof tokenResponseSchema>, TokenResponse>>,
  Assert<Equal<z.output<typeof issuedTokenSchema>, IssuedToken>>,
  Assert<Equal<z.output<typeof auditLogSchema>, AuditRecord>>,
  Assert<Equal<z.output<typeof whatIfResultSchema>, WhatIfResult>>,
  Assert<Equal<z.output<typeof errorBodySchema>, ErrorBody>>,
  Assert<Equal<z.output<typeof oauthErrorSchema>, OAuthErrorBody>>,
  Assert<Equal<z.output<typeof loginTrafficSchema>, Traffic>>,
];
