import { Hono } from "hono";
import { getIdentity } from "../../storage/identities";
import { getOrganization } from "../../storage/organizations";
import { bearerToken, useAccessToken } from "../../tokens/use-token";
import { clientIp, type AppEnv } from "../context";
import { ApiError } from "../errors";
import { publicIdentity } from "../../admin/identities";

/** Who an access token is. A use of the token: it counts against max uses and checks trusted IPs. */
export const tokenDetailsRoutes = new Hono<AppEnv>().get("/api/v1/identities/details", async (c) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) {
    throw new ApiError(401, "credentials_missing", "Send Authorization: Bearer <access token>", {
      "WWW-Authenticate": 'Bearer realm="edge-oidc-auth"',
    });
  }
  const use = await useAccessToken(c.env, token, clientIp(c));
  const [organization, identity] = await Promise.all([
    getOrganization(c.env.DB, use.policy.orgId),
    getIdentity(c.env.DB, use.claims.sub),
  ]);
  if (!organization || !identity) throw new ApiError(401, "identity_not_found", "The identity of this access token no longer exists");
  return c.json({
    identityDetails: {
      organization: { id: organization.id, name: organization.name, slug: organization.slug },
      identity: publicIdentity(identity),
      projectMemberships: Object.entries(use.policy.projectRoles).map(([projectId, roles]) => ({
        projectId,
        roles: roles.map((role) => ({ role })),
      })),
      token: { id: use.claims.jti, expiresAt: use.claims.exp, usesLeft: use.usesLeft },
    },
  });
});
