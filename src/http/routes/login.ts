import { Hono } from "hono";
import { z } from "zod";
import { MAX_LOGIN_BODY_BYTES } from "../../constants";
import { authenticateIdToken, type LoginTrace } from "../../oidc/authenticate";
import { recordAudit } from "../../storage/audit-log";
import { loadLoginContext } from "../../storage/login-context";
import { issueAccessToken } from "../../tokens/issue";
import { loadSigningKeys } from "../../tokens/signing-keys";
import { readBody } from "../body";
import { allowInsecureIssuers, clientIp, tokenCeilingSeconds, waitUntilOf, type AppContext, type AppEnv } from "../context";
import { ApiError, notFound } from "../errors";

/** A JWT is at most this long here; larger bodies are refused before any decoding (docs/security.md). */
export const MAX_ID_TOKEN_LENGTH = 16 * 1024;

const loginBody = z.object({
  identityId: z.string().trim().min(1).max(128),
  jwt: z.string().trim().min(1).max(MAX_ID_TOKEN_LENGTH),
  organizationSlug: z.string().trim().max(128).optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const loginRoutes = new Hono<AppEnv>().post("/api/v1/auth/oidc-auth/login", async (c) => {
  const body = await readBody(c, loginBody, MAX_LOGIN_BODY_BYTES);
  const waitUntil = waitUntilOf(c);
  const attempt: LoginAttempt = { identityId: UUID.test(body.identityId) ? body.identityId : null, orgId: null, trace: {} };
  try {
    const context = attempt.identityId ? await loadLoginContext(c.env.DB, attempt.identityId) : null;
    if (!context) throw notFound("identity_not_found", "No identity has this identityId");
    attempt.orgId = context.identity.orgId;
    if (body.organizationSlug && body.organizationSlug !== context.organization.slug) {
      throw notFound("identity_not_found", "No identity has this identityId in that organization");
    }
    const { identity, config } = context;
    if (!config) throw notFound("oidc_auth_not_configured", "This identity has no OIDC Auth configuration");

    const idToken = await authenticateIdToken(
      { kv: c.env.CACHE, waitUntil, allowInsecureIssuers: allowInsecureIssuers(c.env) },
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
    if (err instanceof ApiError) auditLogin(c, attempt, { outcome: "failure", reasonCode: err.reasonCode });
    throw err;
  }
});

interface LoginAttempt {
  identityId: string | null;
  orgId: string | null;
  trace: LoginTrace;
}

/** One audit event per login attempt that named a well-formed identity id. */
function auditLogin(
  c: AppContext,
  attempt: LoginAttempt,
  result: { outcome: "success" | "failure"; reasonCode?: string; tokenId?: string },
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
      details: attempt.trace.checkedClaims ? { claims: attempt.trace.checkedClaims } : undefined,
    },
    waitUntilOf(c),
  );
}
