// The test suite's local OIDC IdP (test/support/idp-server.ts, run by Node's type stripping), plus the
// control calls the bench needs. Tenants live under /t/<name>; control calls never count as IdP traffic.

export async function startIdp() {
  const { startIdpServer } = await import("../../test/support/idp-server.ts");
  const server = await startIdpServer(0);
  const control = async (tenant, op, body) => {
    const res = await fetch(`${server.url}/t/${tenant}/_control/${op}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`IdP control ${op} on ${tenant}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };

  return {
    url: server.url,
    close: () => server.close(),
    issuer: (tenant) => `${server.url}/t/${tenant}`,

    /**
     * Makes the tenant publish exactly `keyCount` RS256 keys (a new tenant starts with one RS256, one
     * ES256 and one EdDSA key): the others are retired, then RS256 keys are added by rotation, as an IdP
     * that rotated many times would publish them. Tokens are signed with the newest key, which sits
     * last in the JWKS (the worst place for a linear kid lookup).
     */
    async tenantWithRsaKeys(tenant, keyCount) {
      const { keys } = await control(tenant, "keys");
      for (const k of keys) if (k.alg !== "RS256") await control(tenant, "retire", { kid: k.kid });
      for (let n = keys.filter((k) => k.alg === "RS256").length; n < keyCount; n++) {
        await control(tenant, "rotate", { alg: "RS256" });
      }
      const after = (await control(tenant, "keys")).keys;
      if (after.length !== keyCount) throw new Error(`tenant ${tenant} has ${after.length} keys, wanted ${keyCount}`);
      const newest = after[after.length - 1];
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = newest;
      return { publicJwk };
    },

    async mint(tenant, claims, expiresIn = 3600) {
      return (await control(tenant, "mint", { claims, alg: "RS256", expiresIn })).token;
    },
    /** Publishes a new RS256 key and retires the others (tokens minted afterwards carry a new kid). */
    async rotate(tenant) {
      const { keys } = await control(tenant, "keys");
      await control(tenant, "rotate", { alg: "RS256" });
      for (const k of keys) await control(tenant, "retire", { kid: k.kid });
    },
    behaviour: (tenant, behaviour) => control(tenant, "behaviour", behaviour),
    stats: (tenant) => control(tenant, "stats"),
    resetStats: (tenant) => control(tenant, "reset-stats", {}),
  };
}
