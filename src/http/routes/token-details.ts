import { Hono } from "hono";
import { bearerToken } from "../../tokens/use-token";
import { credentialsMissing, useBearerToken } from "../admin-auth";
import { clientIp, type AppEnv } from "../context";

/** Who an access token is. A use of the token: it counts against max uses and checks trusted IPs. */
export const tokenDetailsRoutes = new Hono<AppEnv>().get("/api/v1/identities/details", async (c) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) {
    throw credentialsMissing("Send Authorization: Bearer <access token>");
  }
  // Everything below comes from the identity's Durable Object, which the use has just consulted.
  const { policy, claims, usesLeft } = await useBearerToken(c.env, token, clientIp(c));
  return c.json({
    identityDetails: {
      organization: { id: policy.orgId, name: policy.organization.name, slug: policy.organization.slug },
      identity: { id: policy.identityId, orgId: policy.orgId, role: policy.orgRole, ...policy.identity },
      projectMemberships: Object.entries(policy.projectRoles).map(([projectId, roles]) => ({
        projectId,
        roles: roles.map((role) => ({ role })),
      })),
      token: { id: claims.jti, expiresAt: claims.exp, usesLeft },
    },
  });
});
