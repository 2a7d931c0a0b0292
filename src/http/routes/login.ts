import { Hono } from "hono";
import * as z from "zod";
import { MAX_ID_TOKEN_BYTES, MAX_LOGIN_BODY_BYTES } from "../../constants";
import { tokenTooLarge } from "../../oidc/token-shape";
import type { TokenResponse } from "../../tokens/issue";
import { loginWithIdToken, type LoginRequest } from "../../tokens/login";
import { readBody } from "../body";
import { callerOf, clientIp, type AppContext, type AppEnv } from "../../request-context";
import { documented, post, TAGS } from "../openapi/route-doc";
import { tokenResponseSchema } from "../openapi/schemas";
import { assertLoginNotBlocked, countLoginFailure, limitClientLogins } from "../rate-limit";

/** A JWT is at most this long (MAX_ID_TOKEN_BYTES, docs/security.md); longer ones are refused before any decoding. */
export const MAX_ID_TOKEN_LENGTH = MAX_ID_TOKEN_BYTES;

export const loginBody = z.object({
  identityId: z.string().trim().min(1).max(128).describe("the machine identity's id (UUID)"),
  jwt: z.string().trim().min(1).max(MAX_ID_TOKEN_LENGTH).describe("the CI job's ID token; a longer one is a 413"),
  organizationSlug: z.string().trim().max(128).optional().describe("when sent, the identity's organization must have this slug"),
});
/** What the route reads: the same body, but an oversized jwt is a 413 `token_too_large` (below), not a 422. */
const loginBodyRead = loginBody.extend({ jwt: z.string().trim().min(1) });

const LOGIN = "/api/v1/auth/oidc-auth/login";

/**
 * The one login of the HTTP edge, whatever the wire format (Infisical's login here, the OAuth token
 * exchange in ./oauth.ts): rate limits (src/http/rate-limit.ts), then loginWithIdToken. Every login counts
 * against its client address before the body is read (`read` reads and validates it); a blocked (identity,
 * client) pair is refused before any lookup or verification, and a refusal counts against the pair.
 */
export async function edgeLogin(c: AppContext, read: () => Promise<LoginRequest>): Promise<TokenResponse> {
  await limitClientLogins(c.env, clientIp(c));
  const request = await read();
  if (request.jwt.length > MAX_ID_TOKEN_LENGTH) throw tokenTooLarge(); // before any lookup or decoding
  assertLoginNotBlocked(request.identityId, clientIp(c));
  const countRefusal = () => countLoginFailure(c.env, request.identityId, clientIp(c));
  return loginWithIdToken(c.env, request, callerOf(c), countRefusal);
}

export const loginRoutes = new Hono<AppEnv>().post(LOGIN, async (c) =>
  c.json(await edgeLogin(c, () => readBody(c, loginBodyRead, MAX_LOGIN_BODY_BYTES, "json-or-form"))),
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
