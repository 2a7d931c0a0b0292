import { Hono } from "../../hono";
import * as z from "zod";
import { MAX_LOGIN_BODY_BYTES } from "../../constants";
import { renewAccessToken } from "../../tokens/renew";
import { revokeAccessToken } from "../../tokens/revoke";
import { readBody } from "../body";
import { documented, post, TAGS } from "../openapi/route-doc";
import { tokenResponseSchema } from "../openapi/schemas";
import { callerOf, clientIp, type AppEnv } from "../../request-context";
import { limitTokenCalls } from "../rate-limit";

export const tokenBody = z.object({
  accessToken: z.string().trim().min(1).max(8192).describe("an access token from login or renew; possessing it is the authorisation"),
});

const RENEW = "/api/v1/auth/token/renew";
const REVOKE = "/api/v1/auth/token/revoke";

export const tokenLifecycleRoutes = new Hono<AppEnv>()
  /** A new token with the same jti, never past the max TTL counted from first issuance. Not a use. */
  .post(RENEW, async (c) => {
    await limitTokenCalls(c.env, clientIp(c)); // per client address, before the body is read
    const { accessToken } = await readBody(c, tokenBody, MAX_LOGIN_BODY_BYTES, "json-or-form");
    return c.json(await renewAccessToken(c.env, accessToken, callerOf(c)));
  })
  /** Possession of the token is the authorisation; works on expired tokens too; repeating it writes nothing. */
  .post(REVOKE, async (c) => {
    await limitTokenCalls(c.env, clientIp(c));
    const { accessToken } = await readBody(c, tokenBody, MAX_LOGIN_BODY_BYTES, "json-or-form");
    await revokeAccessToken(c.env, accessToken, callerOf(c));
    return c.json({ message: "Successfully revoked access token" });
  });

export const tokenLifecycleDocs = documented(tokenLifecycleRoutes, TAGS.login, [
  post(RENEW, "Renew an access token", {
    description: "A new token with the same id, never past the max TTL counted from first issuance. Not a use of the token.",
    body: tokenBody,
    formBody: true,
    response: tokenResponseSchema,
    errors: [401, 403, 413, 422, 429, 503],
  }),
  post(REVOKE, "Revoke an access token", {
    description:
      "Possession of the token is the authorisation; works on expired tokens too. Every later use or renewal fails. " +
      "Idempotent: revoking a revoked or long-expired token answers the same success and changes nothing.",
    body: tokenBody,
    formBody: true,
    response: z.object({ message: z.string().describe('"Successfully revoked access token"') }),
    errors: [401, 413, 422, 429, 503],
  }),
]);
