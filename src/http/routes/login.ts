import { Hono } from "hono";
import * as z from "zod";
import { MAX_ID_TOKEN_BYTES, MAX_LOGIN_BODY_BYTES } from "../../constants";
import { authenticateIdToken, type LoginTrace } from "../../oidc/authenticate";
import { replayGuard } from "../../oidc/replay";
import { tokenTooLarge } from "../../oidc/token-shape";
import { recordAudit } from "../../storage/audit-log";
import { loadLoginContext } from "../../storage/login-context";
import { issueAccessToken } from "../../tokens/issue";
import { loadSigningKeys } from "../../tokens/signing-keys";
import { readBody } from "../body";
import { allowInsecureIssuers, clientIp, tokenCeilingSeconds, waitUntilOf, type AppContext, type AppEnv } from "../../request-context";
import { documented, post, TAGS } from "../openapi/route-doc";
import { tokenResponseSchema } from "../openapi/schemas";
import { assertLoginNotBlocked, countLoginFailure, limitClientLogins } from "../rate-limit";
import { DomainError, isOutage, Reason } from "../../errors";

/** A JWT is at most this long (MAX_ID_TOKEN_BYTES, docs/security.md); longer ones are refused before any decoding. */
export const MAX_ID_TOKEN_LENGTH = MAX_ID_TOKEN_BYTES;

export const loginBody = z.object({
  identityId: z.string().trim().min(1).max(128).describe("the machine identity's id (UUID)"),
  jwt: z.string().trim().min(1).max(MAX_ID_TOKEN_LENGTH).describe("the CI job's ID token; a longer one is a 413"),
  organizationSlug: z.string().trim().max(128).optional().describe("when sent, the identity's organization must have this slug"),
});
/** What the route reads: the same body, but an oversized jwt is a 413 `token_too_large` (below), not a 422. */
const loginBodyRead = loginBody.extend({ jwt: z.string().trim().min(1) });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const LOGIN = "/api/v1/auth/oidc-auth/login";

export const loginRoutes = new Hono<AppEnv>().post(LOGIN, async (c) => {
  // Rate limits (src/http/rate-limit.ts): every login counts against its client address, before the body
  // is read; a blocked (identity, client) pair is refused before any lookup or verification.
  await limitClientLogins(c.env, clientIp(c));
  const body = await readBody(c, loginBodyRead, MAX_LOGIN_BODY_BYTES);
  if (body.jwt.length > MAX_ID_TOKEN_LENGTH) throw tokenTooLarge(); // before any lookup or decoding
  assertLoginNotBlocked(body.identityId, clientIp(c));
  const waitUntil = waitUntilOf(c);
  const attempt: LoginAttempt = { identityId: UUID.test(body.identityId) ? body.identityId : null, orgId: null, trace: {} };
  try {
    const context = attempt.identityId ? await loadLoginContext(c.env.DB, attempt.identityId) : null;
    if (!context) throw new DomainError(Reason.identity_not_found, "No identity has this identityId");
    attempt.orgId = context.identity.orgId;
    if (body.organizationSlug && body.organizationSlug !== context.organization.slug) {
      throw new DomainError(Reason.identity_not_found, "No identity has this identityId in that organization");
    }
    const { identity, config } = context;
    if (!config) throw new DomainError(Reason.oidc_auth_not_configured);

    const idToken = await authenticateIdToken(
      {
        kv: c.env.CACHE,
        waitUntil,
        allowInsecureIssuers: allowInsecureIssuers(c.env),
        claimIdToken: replayGuard(c.env, identity.stateObject), // only called with replayProtection on
      },
      config,
      body.jwt,
      attempt.trace,
    );
    const keys = await loadSigningKeys(c.env.SIGNING_KEYS);
    const { response, claims } = await issueAccessToken(keys, {
      identity,
      config,
      idToken,
      ceilingSeconds: tokenCeilingSeconds(c.env),
      db: c.env.DB,
      clientIp: clientIp(c),
      waitUntil,
    });
    auditLogin(c, attempt, { outcome: "success", tokenId: claims.jti });
    return c.json(response);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    // A refusal (not an outage: 5xx are not the caller's doing) counts against the (identity, client) pair.
    const limited = !isOutage(err) ? await countLoginFailure(c.env, body.identityId, clientIp(c)) : null;
    auditLogin(
      c,
      attempt,
      limited
        ? { outcome: "failure", reasonCode: limited.reasonCode, refusedFor: err.reasonCode }
        : { outcome: "failure", reasonCode: err.reasonCode },
    );
    throw limited ?? err;
  }
});

export const loginDocs = documented(loginRoutes, TAGS.login, [
  post(LOGIN, "Log in with an OIDC ID token", {
    description:
      "Exchanges a CI job's ID token (GitLab `id_tokens`, GitHub Actions OIDC, any OIDC issuer) for an access token of the identity. " +
      "Every refusal is a 401 whose `reasonCode` names the rule that failed (`subject_not_allowed`, `audience_not_allowed`, " +
      "`claim_not_allowed: <claim>`, `issuer_mismatch`, `token_expired`, `signature_invalid`, ...).",
    body: loginBody,
    formBody: true,
    response: tokenResponseSchema,
    errors: [401, 404, 413, 422, 429, 503],
  }),
]);

interface LoginAttempt {
  identityId: string | null;
  orgId: string | null;
  trace: LoginTrace;
}

/** One audit event per login attempt that named a well-formed identity id. */
function auditLogin(
  c: AppContext,
  attempt: LoginAttempt,
  result: { outcome: "success" | "failure"; reasonCode?: string; tokenId?: string; refusedFor?: string },
): void {
  if (!attempt.identityId) return;
  const cf = c.req.raw.cf as { country?: string; colo?: string } | undefined;
  recordAudit(
    c.env.DB,
    {
      event: "login",
      outcome: result.outcome,
      reasonCode: result.reasonCode ?? null,
      orgId: attempt.orgId,
      identityId: attempt.identityId,
      actor: `identity:${attempt.identityId}`,
      clientIp: clientIp(c),
      country: typeof cf?.country === "string" ? cf.country : null,
      colo: typeof cf?.colo === "string" ? cf.colo : null,
      tokenId: result.tokenId ?? null,
      details:
        attempt.trace.checkedClaims || result.refusedFor
          ? {
              ...(attempt.trace.checkedClaims ? { claims: attempt.trace.checkedClaims } : {}),
              ...(result.refusedFor ? { refusedFor: result.refusedFor } : {}),
            }
          : undefined,
    },
    waitUntilOf(c),
  );
}
