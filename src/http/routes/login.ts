import { Hono } from "hono";
import * as z from "zod";
import { MAX_ID_TOKEN_BYTES, MAX_LOGIN_BODY_BYTES } from "../../constants";
import { tokenTooLarge } from "../../oidc/token-shape";
import { loginWithIdToken } from "../../tokens/login";
import { readBody } from "../body";
import { callerOf, clientIp, type AppEnv } from "../context";
import { assertLoginNotBlocked, countLoginFailure, limitClientLogins } from "../rate-limit";

/** A JWT is at most this long (MAX_ID_TOKEN_BYTES, docs/security.md); longer ones are refused before any decoding. */
export const MAX_ID_TOKEN_LENGTH = MAX_ID_TOKEN_BYTES;

export const loginBody = z.object({
  identityId: z.string().trim().min(1).max(128),
  jwt: z.string().trim().min(1).max(MAX_ID_TOKEN_LENGTH),
  organizationSlug: z.string().trim().max(128).optional(),
});
/** What the route reads: the same body, but an oversized jwt is a 413 `token_too_large` (below), not a 422. */
const loginBodyRead = loginBody.extend({ jwt: z.string().trim().min(1) });

export const loginRoutes = new Hono<AppEnv>().post("/api/v1/auth/oidc-auth/login", async (c) => {
  // Rate limits (src/http/rate-limit.ts): every login counts against its client address, before the body
  // is read; a blocked (identity, client) pair is refused before any lookup or verification, and a refusal
  // counts against the pair.
  await limitClientLogins(c.env, clientIp(c));
  const body = await readBody(c, loginBodyRead, MAX_LOGIN_BODY_BYTES);
  if (body.jwt.length > MAX_ID_TOKEN_LENGTH) throw tokenTooLarge(); // before any lookup or decoding
  assertLoginNotBlocked(body.identityId, clientIp(c));
  const countRefusal = () => countLoginFailure(c.env, body.identityId, clientIp(c));
  return c.json(await loginWithIdToken(c.env, body, callerOf(c), countRefusal));
});
