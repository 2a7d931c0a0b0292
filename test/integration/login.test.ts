import { describe, expect, it } from "vitest";
import { createIdp, gitlabClaims } from "../support/idp";
import { jwtPayload, login, setupIdentity } from "../support/api";

describe("OIDC login", () => {
  it("logs a GitLab CI job in, as in the seed's pipeline", async () => {
    const idp = createIdp();
    const { identity } = await setupIdentity(idp.issuer, { accessTokenTTL: 600, accessTokenMaxTTL: 3600 });
    const jwt = await idp.mint(gitlabClaims());
    const res = await login(identity.id, jwt);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ tokenType: "Bearer", expiresIn: 600, accessTokenMaxTTL: 3600 });
    const claims = jwtPayload(res.body.accessToken);
    expect(claims.sub).toBe(identity.id);
  });
});
