import { Hono } from "hono";
import * as z from "zod";
import { MAX_LOGIN_BODY_BYTES } from "../../constants";
import { markTokenRevoked, recordIssuedToken } from "../../storage/access-tokens";
import { signAccessToken, verifyAccessToken } from "../../tokens/access-token";
import { tokenResponse } from "../../tokens/issue";
import type { RenewOutcome } from "../../tokens/token-state-object";
import { loadSigningKeys } from "../../tokens/signing-keys";
import { admittedBy, stateObject, withStateObject } from "../../tokens/token-state-client";
import { tokenRef } from "../../tokens/token-ref";
import { readBody } from "../body";
import { clientIp, tokenCeilingSeconds, waitUntilOf, type AppContext, type AppEnv } from "../context";
import { recordAudit } from "../../storage/audit-log";
import type { AccessTokenClaims } from "../../tokens/access-token";
import { nowSeconds } from "../../time/clock";

export const tokenBody = z.object({ accessToken: z.string().trim().min(1).max(8192) });

export const tokenLifecycleRoutes = new Hono<AppEnv>()
  /** A new token with the same jti, never past the max TTL counted from first issuance. Not a use. */
  .post("/api/v1/auth/token/renew", async (c) => {
    const { accessToken } = await readBody(c, tokenBody, MAX_LOGIN_BODY_BYTES);
    const keys = await loadSigningKeys(c.env.SIGNING_KEYS);
    // Expired tokens pass the signature check here: the object's admission refuses them, saying which limit was hit.
    const claims = await verifyAccessToken(keys, accessToken, { allowExpired: true });
    const stub = stateObject(c.env, claims.sob);
    const outcome = await admittedBy<RenewOutcome>(() => stub.renew(tokenRef(claims), clientIp(c), tokenCeilingSeconds(c.env)));
    const now = nowSeconds();
    const renewed = { ...claims, iat: now, exp: outcome.expiresAt };
    const token = await signAccessToken(keys, renewed);
    recordIssuedToken(c.env.DB, renewed, clientIp(c), waitUntilOf(c));
    auditTokenEvent(c, "token.renew", renewed);
    return c.json(tokenResponse(token, renewed, now));
  })
  /** Possession of the token is the authorisation; works on expired tokens too. */
  .post("/api/v1/auth/token/revoke", async (c) => {
    const { accessToken } = await readBody(c, tokenBody, MAX_LOGIN_BODY_BYTES);
    const keys = await loadSigningKeys(c.env.SIGNING_KEYS);
    const claims = await verifyAccessToken(keys, accessToken, { allowExpired: true });
    const stub = stateObject(c.env, claims.sob);
    await withStateObject(() => stub.revoke(tokenRef(claims)));
    waitUntilOf(c)(markTokenRevoked(c.env.DB, claims.jti));
    auditTokenEvent(c, "token.revoke", claims);
    return c.json({ message: "Successfully revoked access token" });
  });

function auditTokenEvent(c: AppContext, event: string, claims: AccessTokenClaims): void {
  recordAudit(
    c.env.DB,
    {
      event,
      outcome: "success",
      orgId: claims.org,
      identityId: claims.sub,
      actor: `identity:${claims.sub}`,
      clientIp: clientIp(c),
      tokenId: claims.jti,
    },
    waitUntilOf(c),
  );
}
