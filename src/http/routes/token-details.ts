import { Hono } from "../../hono";
import { bearerToken } from "../../tokens/use-token";
import { credentialsMissing, guard, useBearerToken } from "../admin-auth";
import { clientIp, type AppEnv } from "../../request-context";
import { documented, get, TAGS } from "../openapi/route-doc";
import { envelope, identityDetailsSchema } from "../openapi/schemas";

const DETAILS = "/api/v1/identities/details";

/**
 * Who an access token is. A use of the token: it counts against max uses and checks trusted IPs. The
 * handler is its own guard: it admits an access token and nothing else.
 */
export const tokenDetailsRoutes = new Hono<AppEnv>().get(
  DETAILS,
  guard("accessToken", async (c) => {
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
  }),
);

export const tokenDetailsDocs = documented(tokenDetailsRoutes, TAGS.identity, [
  get(DETAILS, "Who this access token is", {
    description: "A use of the token: counts against its max uses and checks its trusted IPs.",
    response: envelope("identityDetails", identityDetailsSchema),
    errors: [401, 403, 503],
  }),
]);
