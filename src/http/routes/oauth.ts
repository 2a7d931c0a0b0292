/**
 * Standard OAuth 2.0 over the same rules as Infisical's login: token exchange (RFC 8693), authorization
 * server metadata (RFC 8414), introspection (RFC 7662) and revocation (RFC 7009). Parameters are forms
 * (RFC 6749 §3.2), answers and errors are OAuth's (src/http/oauth-errors.ts), and what is decided is decided
 * by the same code as the rest of the API: a token exchange is a login (`edgeLogin`, ./login.ts: the same
 * rate limits, verification, audit and access tokens), an introspection a use (src/tokens/introspect.ts),
 * a revocation the token holder's revocation (src/tokens/revoke.ts).
 */
import { Hono } from "../../hono";
import * as z from "zod";
import { isAdminKey, MIN_ADMIN_KEY_LENGTH } from "../../admin/admin-key";
import { MAX_LOGIN_BODY_BYTES } from "../../constants";
import { issuerIdentifier } from "../../env";
import { DomainError, isOutage, Reason } from "../../errors";
import { callerOf, clientIp, type Actor, type AppContext, type AppEnv } from "../../request-context";
import { isIpAddress } from "../../net/ip-ranges";
import { introspectAccessToken } from "../../tokens/introspect";
import { revokeAccessToken } from "../../tokens/revoke";
import type { TokenUse } from "../../tokens/use-token";
import { bearerToken } from "../../tokens/use-token";
import { adminAuthAttempt, credentialsMissing, guard, useBearerToken, withInvalidTokenChallenge } from "../admin-auth";
import { limitTokenCalls } from "../rate-limit";
import { readRawBody } from "../body";
import { NO_STORE, oauthErrorResponse, type OAuthEndpoint } from "../oauth-errors";
import { documented, get, post, TAGS } from "../openapi/route-doc";
import {
  introspectionSchema,
  oauthErrorSchema,
  serverMetadataSchema,
  tokenExchangeResponseSchema,
  type ServerMetadata,
} from "../openapi/schemas";
import { edgeLogin, MAX_ID_TOKEN_LENGTH } from "./login";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const ACCESS_TOKEN_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

const TOKEN = "/oauth/token";
const INTROSPECT = "/oauth/introspect";
const REVOKE = "/oauth/revoke";
const METADATA = "/.well-known/oauth-authorization-server";
/** The same document where OpenID Connect clients look first (RFC 8414 §5; openid-client's default discovery). */
const OIDC_METADATA = "/.well-known/openid-configuration";

const SUBJECT_TOKEN_TYPES = [JWT_TOKEN_TYPE, ID_TOKEN_TYPE] as const;

export const tokenExchangeForm = z.object({
  grant_type: z.literal(TOKEN_EXCHANGE_GRANT).describe("the token exchange grant (RFC 8693); any other is `unsupported_grant_type`"),
  subject_token: z
    .string()
    .trim()
    .min(1)
    .max(MAX_ID_TOKEN_LENGTH)
    .describe("the CI job's ID token (GitLab `id_tokens`, GitHub Actions OIDC, any OIDC issuer); a longer one is `invalid_grant`"),
  subject_token_type: z
    .enum(SUBJECT_TOKEN_TYPES)
    .describe("the ID token's type: either is accepted, the token is checked the same way"),
  audience: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .describe(
      "the machine identity's id (UUID): the identity to log in as. May be repeated with the same id; two different ids are `invalid_target` (a token is for one identity)",
    ),
  requested_token_type: z
    .literal(ACCESS_TOKEN_TOKEN_TYPE)
    .optional()
    .describe("optional; only an access token can be issued (`urn:ietf:params:oauth:token-type:access_token`)"),
  scope: z
    .string()
    .max(2048)
    .optional()
    .describe("accepted and ignored: no scope narrows an access token, which carries its identity's roles"),
  resource: z
    .string()
    .max(2048)
    .optional()
    .describe(
      "accepted and ignored: the `audience` names the identity. May be repeated (RFC 8693 §2.1); each must be an absolute URI without fragment, else `invalid_target`",
    ),
  client_id: z.string().max(256).optional().describe("accepted and not checked: clients are public (the ID token is the credential)"),
});
/** What the route reads: the same form, but an oversized subject_token is `invalid_grant` (token_too_large). */
const tokenExchangeRead = tokenExchangeForm.extend({ subject_token: z.string().trim().min(1) });

export const introspectForm = z.object({
  token: z.string().trim().min(1).describe("the access token to introspect; anything that is not one of ours is inactive"),
  token_type_hint: z.string().max(64).optional().describe("accepted and ignored: every token here is an access token"),
  client_ip: z
    .string()
    .trim()
    .max(64)
    .refine(isIpAddress, "must be an IP address (the CF-Connecting-IP your service saw)")
    .optional()
    .describe(
      "the address the token was presented from, as your service saw it: checked against the identity's trusted IPs; " +
        "not an address: `invalid_request` (a misconfigured resource server should hear of it, not see every token inactive). " +
        "Without it, only identities that trust every address are active (as AuthService.authenticate with clientIp null)",
    ),
});

export const revokeForm = z.object({
  token: z
    .string()
    .trim()
    .min(1)
    .describe(
      "the access token to revoke; possessing it is the authorisation. Anything that is not one of ours is answered 200 alike",
    ),
  token_type_hint: z.string().max(64).optional().describe("accepted and ignored: every token here is an access token"),
  client_id: z.string().max(256).optional().describe("accepted and not checked: clients are public"),
});

/** Parameters RFC 8693 §2.1 lets a client repeat; every other one is refused when repeated. */
const REPEATABLE = new Set(["audience", "resource"]);

/** An OAuth request's parameters: the repeatable ones as the list of their values. */
type OAuthForm = Record<string, string | string[]>;

/**
 * The parameters of an OAuth request: a form only (RFC 6749 §3.2), bounded, each parameter at most once
 * unless REPEATABLE. A parameter sent without a value is as if it were omitted (RFC 6749 §3.1).
 */
async function readOAuthForm(c: AppContext): Promise<OAuthForm> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new DomainError(
      Reason.unsupported_media_type,
      "Send the parameters as application/x-www-form-urlencoded (RFC 6749 section 3.2)",
    );
  }
  const form = (await readRawBody(c, MAX_LOGIN_BODY_BYTES, "json-or-form", REPEATABLE)) as OAuthForm;
  for (const [name, value] of Object.entries(form)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v) => v !== "");
    if (values.length === 0) delete form[name];
    else if (Array.isArray(value)) form[name] = values;
  }
  return form;
}

const readForm = async <S extends z.ZodType>(c: AppContext, schema: S): Promise<z.output<S>> =>
  parseForm(schema, await readOAuthForm(c));

function parseForm<S extends z.ZodType>(schema: S, form: OAuthForm): z.output<S> {
  const parsed = schema.safeParse(form);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".");
  const sent = form[field];
  if (sent === undefined || (typeof sent === "string" && sent.trim() === "")) {
    throw new DomainError(Reason.invalid_request, `The parameter ${field} is required`);
  }
  if (field === "subject_token_type") {
    throw new DomainError(Reason.unsupported_token_type, `subject_token_type must be ${SUBJECT_TOKEN_TYPES.join(" or ")}`);
  }
  if (field === "requested_token_type") {
    throw new DomainError(Reason.unsupported_token_type, `Only ${ACCESS_TOKEN_TOKEN_TYPE} can be issued`);
  }
  throw new DomainError(Reason.invalid_request, `The parameter ${field} is invalid: ${issue.message}`);
}

/** The token exchange request: grant type first (RFC 6749 §5.2 tells it apart), then the rest. */
async function readTokenExchange(c: AppContext) {
  const form = await readOAuthForm(c);
  if (!form.grant_type) throw new DomainError(Reason.invalid_request, "The parameter grant_type is required");
  if (form.grant_type !== TOKEN_EXCHANGE_GRANT) throw new DomainError(Reason.unsupported_grant_type);
  if (form.actor_token !== undefined || form.actor_token_type !== undefined) {
    throw new DomainError(Reason.invalid_request, "Delegation (actor_token) is not supported");
  }
  const { audience, resource, ...rest } = form;
  checkResources(resource);
  const named = oneAudience(audience);
  return parseForm(tokenExchangeRead, named === undefined ? rest : { ...rest, audience: named });
}

/**
 * The identity `audience` names: repeating one id is naming it once; two different ids ask for a token
 * valid for both, which no token is (RFC 8693 §2.2.2: `invalid_target`).
 */
function oneAudience(audience: string | string[] | undefined): string | undefined {
  if (!Array.isArray(audience)) return audience;
  const distinct = new Set(audience.map((a) => a.trim()));
  if (distinct.size > 1)
    throw new DomainError(Reason.invalid_target, "Name one identity in audience: a token is issued for one identity");
  return audience[0];
}

/**
 * `resource` is ignored (the audience names the identity), but it must be what RFC 8693 §2.1 says it is,
 * an absolute URI without a fragment (RFC 8707 §2: otherwise `invalid_target`). Checked, then not read.
 */
function checkResources(resource: string | string[] | undefined): void {
  for (const r of resource === undefined ? [] : Array.isArray(resource) ? resource : [resource]) {
    if (r.length > 2048 || !URL.canParse(r) || r.includes("#")) {
      throw new DomainError(Reason.invalid_target, "resource must be an absolute URI without a fragment");
    }
  }
}

/**
 * Who may introspect (docs/consumers.md, "Introspection"): the admin key (every token), or an identity's
 * access token whose organization role is `member` or `admin` (tokens of its own organization only; its
 * own token's use is checked and counted like any other). An identity with role `no-access` may not: the
 * answer shows other identities' roles and metadata, which is reading the organization.
 * Documented as `admin` (admin key or access token); unlike the admin API's guard, it admits members.
 */
const INTROSPECTOR_ROLES = new Set(["admin", "member"]);
const requireIntrospector = guard("admin", async (c, next) => {
  try {
    // Failed credentials count against the address like the admin API's (ADMIN_AUTH_LIMITER), and are audited.
    await adminAuthAttempt(c, () => authenticateIntrospector(c));
  } catch (err) {
    return oauthErrorResponse(c, err, "bearer");
  }
  await next();
});

async function authenticateIntrospector(c: AppContext): Promise<void> {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw credentialsMissing("Send Authorization: Bearer <an access token of your organization, or the admin key>");
  let actor: Actor;
  // A weak admin key opens nothing (docs/security.md, "Admin credentials"): it is not even compared.
  const adminKeyUsable = (c.env.ADMIN_API_KEY?.length ?? 0) >= MIN_ADMIN_KEY_LENGTH;
  if (adminKeyUsable && (await isAdminKey(token, c.env.ADMIN_API_KEY))) {
    actor = { kind: "admin-key" };
  } else if (token.split(".").length === 3) {
    const use = await useBearerToken(c.env, token, clientIp(c));
    if (!INTROSPECTOR_ROLES.has(use.policy.orgRole)) {
      throw new DomainError(
        Reason.insufficient_role,
        "Only identities with the organization role 'member' or 'admin' may introspect tokens",
      );
    }
    actor = { kind: "identity", identityId: use.claims.sub, orgId: use.policy.orgId, tokenId: use.claims.jti };
  } else {
    throw withInvalidTokenChallenge(new DomainError(Reason.credentials_invalid));
  }
  c.set("actor", actor);
}

/**
 * A handler whose errors are answered the OAuth way (src/http/oauth-errors.ts). Per handler rather than the
 * module's onError: a sub-app's onError wraps its handlers, hiding the guards' marks the OpenAPI reads.
 */
const answering =
  (endpoint: OAuthEndpoint, handler: (c: AppContext) => Promise<Response>) =>
  async (c: AppContext): Promise<Response> => {
    try {
      return await handler(c);
    } catch (err) {
      return oauthErrorResponse(c, err, endpoint);
    }
  };

/** The metadata document (RFC 8414 §2) of the issuer identifier a request reached. */
export function serverMetadata(issuer: string): ServerMetadata {
  return {
    issuer,
    token_endpoint: `${issuer}${TOKEN}`,
    introspection_endpoint: `${issuer}${INTROSPECT}`,
    revocation_endpoint: `${issuer}${REVOKE}`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: [TOKEN_EXCHANGE_GRANT],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ["none"],
    revocation_endpoint_auth_methods_supported: ["none"],
    subject_token_types_supported: [...SUBJECT_TOKEN_TYPES],
    issued_token_types_supported: [ACCESS_TOKEN_TOKEN_TYPE],
    service_documentation: `${issuer}/docs`,
  };
}

/** RFC 7662 §2.2: an active token's claims, and ours as extension members. */
function activeIntrospection(use: TokenUse) {
  const { claims, policy } = use;
  const iss = (claims as unknown as { iss?: unknown }).iss;
  return {
    active: true as const,
    token_type: "Bearer" as const,
    ...(typeof iss === "string" ? { iss } : {}),
    sub: claims.sub,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    identity_id: claims.sub,
    organization_id: policy.orgId,
    org_role: policy.orgRole,
    project_roles: Object.fromEntries(Object.entries(policy.projectRoles).map(([project, roles]) => [project, [...roles]])),
    auth_method: claims.auth_method,
    uses_left: use.usesLeft,
    metadata: { ...(claims.metadata ?? {}) },
  };
}

export const oauthRoutes = new Hono<AppEnv>()
  .get(METADATA, (c) => c.json(serverMetadata(issuerIdentifier(c.env, c.req.url)), 200, { "Cache-Control": "public, max-age=300" }))
  .get(OIDC_METADATA, (c) =>
    c.json(serverMetadata(issuerIdentifier(c.env, c.req.url)), 200, { "Cache-Control": "public, max-age=300" }),
  )
  /** RFC 8693 token exchange: the CI job's ID token for an access token of the identity named by `audience`. */
  .post(
    TOKEN,
    answering("token", async (c) => {
      const issued = await edgeLogin(c, async () => {
        const form = await readTokenExchange(c);
        return { identityId: form.audience, jwt: form.subject_token, event: "token.exchange" };
      });
      return c.json(
        {
          access_token: issued.accessToken,
          issued_token_type: ACCESS_TOKEN_TOKEN_TYPE,
          token_type: issued.tokenType,
          expires_in: issued.expiresIn,
        },
        200,
        NO_STORE,
      );
    }),
  )
  .use(INTROSPECT, requireIntrospector)
  /** RFC 7662: a use of the token; `{ active: false }` for anything a use would refuse. */
  .post(
    INTROSPECT,
    answering("bearer", async (c) => {
      const form = await readForm(c, introspectForm);
      const actor = c.var.actor;
      const use = await introspectAccessToken(c.env, form.token, {
        clientIp: form.client_ip || null,
        orgId: actor.kind === "identity" ? actor.orgId : null,
      });
      return c.json(use ? activeIntrospection(use) : { active: false as const }, 200, NO_STORE);
    }),
  )
  /** RFC 7009: possession is the authorisation; 200 whether or not the token was one of ours. */
  .post(
    REVOKE,
    answering("bearer", async (c) => {
      await limitTokenCalls(c.env, clientIp(c)); // one budget with /api/v1/auth/token/renew and revoke
      const form = await readForm(c, revokeForm);
      try {
        await revokeAccessToken(c.env, form.token, callerOf(c));
      } catch (err) {
        // An invalid token "does not exist" to revoke (RFC 7009 §2.2); an outage is a 503 to retry.
        if (!(err instanceof DomainError) || isOutage(err)) throw err;
      }
      return c.json({}, 200, NO_STORE);
    }),
  );

const oauthErrors = { errorBody: oauthErrorSchema, formBody: "only" } as const;

export const oauthDocs = documented(oauthRoutes, TAGS.oauth, [
  get(METADATA, "OAuth 2.0 authorization server metadata (RFC 8414)", {
    description:
      "The issuer identifier is the deployment's `PUBLIC_URL`, or the origin the request was sent to when it is unset; every endpoint " +
      "and the access tokens' `iss` derive from it. Also served at `/.well-known/openid-configuration`, where OpenID Connect clients look.",
    response: serverMetadataSchema,
    errors: [],
  }),
  get(OIDC_METADATA, "The same metadata, where OpenID Connect clients look for it", {
    description: "Identical to `/.well-known/oauth-authorization-server` (RFC 8414 §5). This service issues no ID tokens.",
    response: serverMetadataSchema,
    errors: [],
  }),
  post(TOKEN, "Token exchange (RFC 8693): an ID token for an access token", {
    description:
      "The OAuth wire format of `POST /api/v1/auth/oidc-auth/login`: the same verification, rate limits, audit (event `token.exchange`) " +
      "and access tokens. Public clients: `client_id` is optional and not checked. Every refusal of the ID token is `invalid_grant` with " +
      "the login's `reasonCode` (`audience_not_allowed`, `claim_not_allowed: <claim>`, `token_expired`, ...); an `audience` that names " +
      "no identity with OIDC Auth is `invalid_target`. Answers carry `Cache-Control: no-store`.",
    body: tokenExchangeForm,
    response: tokenExchangeResponseSchema,
    errors: [400, 429, 503],
    ...oauthErrors,
  }),
  post(INTROSPECT, "Token introspection (RFC 7662)", {
    description:
      "A use of the token, by the rules of `AuthService.authenticate`: revocation, max uses, the identity's current policy and its " +
      'trusted IPs, checked against `client_ip`. Any token a use would refuse is `{ "active": false }`, without a reason. The caller ' +
      "authenticates with `Authorization: Bearer` and the admin key (every token), or its own access token when its identity's " +
      "organization role is `member` or `admin` (tokens of its organization only; others are inactive to it). That token's use counts.",
    body: introspectForm,
    response: introspectionSchema,
    errors: [400, 401, 403, 429, 503],
    ...oauthErrors,
  }),
  post(REVOKE, "Token revocation (RFC 7009)", {
    description:
      "Possession of the token is the authorisation, as for `POST /api/v1/auth/token/revoke`; expired tokens are accepted. " +
      "Always 200, also for a token that is not one of ours (RFC 7009 §2.2).",
    body: revokeForm,
    response: z.object({}).describe("empty: the answer says nothing about the token"),
    errors: [400, 503],
    ...oauthErrors,
  }),
]);
