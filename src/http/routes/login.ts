import { Hono } from "../../hono";
import * as z from "zod";
import { MAX_ID_TOKEN_BYTES, MAX_LOGIN_BODY_BYTES } from "../../constants";
import { loginLimiterFirst } from "../../env";
import { tokenTooLarge } from "../../oidc/token-shape";
import type { TokenResponse } from "../../tokens/issue";
import { loginWithIdToken, type LoginRequest } from "../../tokens/login";
import { readRawBody, validBody } from "../body";
import { callerOf, clientIp, type AppContext, type AppEnv } from "../../request-context";
import { documented, post, TAGS } from "../openapi/route-doc";
import { tokenResponseSchema } from "../openapi/schemas";
import { assertLoginNotBlocked, clientLoginsRecentlyRefused, countLoginFailure, limitClientLogins } from "../rate-limit";

/** A JWT is at most this long (MAX_ID_TOKEN_BYTES, docs/security.md); longer ones are refused before any decoding. */
export const MAX_ID_TOKEN_LENGTH = MAX_ID_TOKEN_BYTES;

const IDENTITY_ID_MAX = 128;
const ORGANIZATION_SLUG_MAX = 128;

export const loginBody = z.object({
  identityId: z.string().trim().min(1).max(IDENTITY_ID_MAX).describe("the machine identity's id (UUID)"),
  jwt: z.string().trim().min(1).max(MAX_ID_TOKEN_LENGTH).describe("the CI job's ID token; a longer one is a 413"),
  organizationSlug: z
    .string()
    .trim()
    .max(ORGANIZATION_SLUG_MAX)
    .optional()
    .describe("when sent, the identity's organization must have this slug"),
});
/** What the route reads: the same body, but an oversized jwt is a 413 `token_too_large` (below), not a 422. */
const loginBodyRead = loginBody.extend({ jwt: z.string().trim().min(1) });

/**
 * The login body as `loginBodyRead` reads it. Nearly every body is three strings within bounds: that case
 * is read here directly, with zod's result (trimmed, unknown members left out), which spares every login
 * zod's walk; anything else goes through the schema, for the same answer or its exact 422.
 */
export function loginRequestOf(raw: unknown): LoginRequest {
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const { identityId, jwt, organizationSlug } = raw as Record<string, unknown>;
    if (typeof identityId === "string" && typeof jwt === "string") {
      const id = identityId.trim();
      const token = jwt.trim();
      const slug = typeof organizationSlug === "string" ? organizationSlug.trim() : organizationSlug;
      if (
        id.length >= 1 &&
        id.length <= IDENTITY_ID_MAX &&
        token.length >= 1 &&
        (slug === undefined || (typeof slug === "string" && slug.length <= ORGANIZATION_SLUG_MAX))
      ) {
        return slug === undefined ? { identityId: id, jwt: token } : { identityId: id, jwt: token, organizationSlug: slug };
      }
    }
  }
  return validBody(loginBodyRead, raw);
}

const LOGIN = "/api/v1/auth/oidc-auth/login";

/**
 * The one login of the HTTP edge, whatever the wire format (Infisical's login here, the OAuth token
 * exchange in ./oauth.ts): rate limits (src/http/rate-limit.ts), then loginWithIdToken. Every login counts
 * against its client address (`limitClientLogins`); a blocked (identity, client) pair is refused before any
 * lookup or verification, and a refusal counts against the pair.
 *
 * The client limiter is asked first, and while it answers, the body is read (`read` reads and validates
 * it) and the ID token verified: its latency is off the login's critical path. Its answer still decides
 * first: loginWithIdToken awaits it before changing anything (the replay record, the token issued), and
 * on every other path it is awaited before answering, so its refusal wins over any other answer and a
 * limited login is neither issued a token, audited nor counted as a refused login, as when it was asked
 * before the body was read. An address the limiter refused in this isolate within the period waits for
 * the answer before anything else, so a limited client costs no verification (docs/security.md); so does
 * every login of a deployment that sets `LOGIN_LIMITER_ORDER = "sequential"` (src/env.ts).
 */
export async function edgeLogin(c: AppContext, read: () => Promise<LoginRequest>): Promise<TokenResponse> {
  const ip = clientIp(c);
  const admitted = limitClientLogins(c.env, ip);
  admitted.catch(() => {}); // awaited on every path below; this only keeps it from counting as unhandled
  try {
    // Sequential when the deployment asks for it, and for an address refused lately: nothing is read first.
    if (loginLimiterFirst(c.env) || clientLoginsRecentlyRefused(ip)) await admitted;
    const request = await read();
    if (request.jwt.length > MAX_ID_TOKEN_LENGTH) throw tokenTooLarge(); // before any lookup or decoding
    // Ids are lowercase UUIDs; Infisical's (Postgres uuid) match in any case. Lowercased before the limits
    // key on it, so that case variants of one id are one identity to them too.
    request.identityId = request.identityId.toLowerCase();
    assertLoginNotBlocked(request.identityId, ip);
    const countRefusal = () => countLoginFailure(c.env, request.identityId, ip);
    return await loginWithIdToken(c.env, request, callerOf(c, ip), countRefusal, admitted);
  } catch (err) {
    await admitted; // the limiter's refusal wins over any other answer
    throw err;
  }
}

export const loginRoutes = new Hono<AppEnv>().post(LOGIN, async (c) =>
  c.json(await edgeLogin(c, async () => loginRequestOf(await readRawBody(c, MAX_LOGIN_BODY_BYTES, "json-or-form")))),
);

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
