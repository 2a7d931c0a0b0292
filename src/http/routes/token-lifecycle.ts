import { Hono } from "hono";
import * as z from "zod";
import { MAX_LOGIN_BODY_BYTES } from "../../constants";
import { renewAccessToken } from "../../tokens/renew";
import { revokeAccessToken } from "../../tokens/revoke";
import { readBody } from "../body";
import { callerOf, type AppEnv } from "../context";

export const tokenBody = z.object({ accessToken: z.string().trim().min(1).max(8192) });

export const tokenLifecycleRoutes = new Hono<AppEnv>()
  /** A new token with the same jti, never past the max TTL counted from first issuance. Not a use. */
  .post("/api/v1/auth/token/renew", async (c) => {
    const { accessToken } = await readBody(c, tokenBody, MAX_LOGIN_BODY_BYTES);
    return c.json(await renewAccessToken(c.env, accessToken, callerOf(c)));
  })
  /** Possession of the token is the authorisation; works on expired tokens too. */
  .post("/api/v1/auth/token/revoke", async (c) => {
    const { accessToken } = await readBody(c, tokenBody, MAX_LOGIN_BODY_BYTES);
    await revokeAccessToken(c.env, accessToken, callerOf(c));
    return c.json({ message: "Successfully revoked access token" });
  });
