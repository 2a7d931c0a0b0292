// What-if: a proposed OIDC Auth change replayed against the identity's recorded login attempts
// (POST /api/v1/auth/oidc-auth/identities/:identityId/what-if), and the audit detail it relies on.
import { describe, expect, it } from "vitest";
import { call, createIdentity, createOrg, ok } from "../support/api";
import { advanceClock, nowSeconds } from "../support/clock";
import { expectRefusal } from "../support/refusal";
import { gitlabClaims } from "../support/idp";
import { exchange } from "../support/oauth";
import { GITLAB_SUBJECT, scenario } from "../support/scenario";
import { revoke, useToken } from "../support/tokens";

const LOOSE_SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:*";
const DEV_SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:dev";

const whatIf = (identityId: string, body: unknown, opts: { token?: string | null } = {}) =>
  call("POST", `/api/v1/auth/oidc-auth/identities/${identityId}/what-if`, { body, ...opts });

const configOf = async (identityId: string) => (await ok("GET", `/api/v1/auth/oidc-auth/identities/${identityId}`)).identityOidcAuth;

describe("what-if", () => {
  it("lists the attempts a tightened subject loses, counts the live tokens it ends, and saves nothing", async () => {
    const s = await scenario({ boundSubject: LOOSE_SUBJECT });
    await s.login();
    const dev = await s.loginWith({ sub: DEV_SUBJECT, ref: "dev" });
    expect(dev.status).toBe(200);
    const saved = await configOf(s.identity.id);

    const res = await whatIf(s.identity.id, { boundSubject: GITLAB_SUBJECT });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      evaluated: 2,
      gained: [],
      gainedCount: 0,
      lostCount: 1,
      unchanged: 1,
      liveTokensEnded: 1,
      truncated: false,
    });
    expect(res.body.lost).toEqual([
      {
        at: expect.any(String),
        event: "login",
        subject: DEV_SUBJECT,
        before: "admitted",
        after: "refused",
        rule: { rule: "subject", reasonCode: "subject_not_allowed" },
      },
    ]);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(30 * 86_400_000);

    // Nothing changed: the configuration, the login it admits, and no audit event for the preview.
    expect(await configOf(s.identity.id)).toEqual(saved);
    expect((await s.loginWith({ sub: DEV_SUBJECT, ref: "dev" })).status).toBe(200);
    const changes = await ok("GET", `/api/v1/audit-logs?identityId=${s.identity.id}&event=oidc-auth.update`);
    expect(changes.auditLogs).toEqual([]);

    // A revoked token is not live: the proposal ends none of the rest (the main-branch tokens pass it).
    await revoke(dev.body.accessToken);
    const after = (await whatIf(s.identity.id, { boundSubject: GITLAB_SUBJECT })).body;
    expect(after).toMatchObject({ evaluated: 3, lostCount: 2, liveTokensEnded: 1 });
  });

  it("replays token exchanges as the logins they are, and says which attempt came as one", async () => {
    const s = await scenario({ boundSubject: LOOSE_SUBJECT });
    await s.login();
    const mint = () => s.idp.mint(gitlabClaims({ sub: DEV_SUBJECT, ref: "dev" }));
    expect((await exchange(await mint(), s.identity.id)).status).toBe(200);
    expect((await exchange(await mint(), s.identity.id)).status).toBe(200);

    const res = await whatIf(s.identity.id, { boundSubject: GITLAB_SUBJECT });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Three logins (one in each wire format counted alike); the two exchanges from `dev` are what it loses.
    expect(res.body).toMatchObject({ evaluated: 3, lostCount: 2, unchanged: 1, liveTokensEnded: 2 });
    expect(res.body.lost.map((e: { event: string; subject: string }) => [e.event, e.subject])).toEqual([
      ["token.exchange", DEV_SUBJECT],
      ["token.exchange", DEV_SUBJECT],
    ]);
  });

  it("counts every live token as ended when the keys would come from another source, as saving it does", async () => {
    const s = await scenario();
    const tokens = [await s.login(), await s.login()];
    // The same keys, named directly instead of through discovery: a new key source all the same.
    const proposal = { jwksUrl: s.idp.jwksUrl };
    const res = await whatIf(s.identity.id, proposal);
    expect(res.body).toMatchObject({ evaluated: 2, lostCount: 0, unchanged: 2, liveTokensEnded: 2, keySourceChanged: true });
    const same = await whatIf(s.identity.id, { boundSubject: GITLAB_SUBJECT });
    expect(same.body).toMatchObject({ liveTokensEnded: 0, keySourceChanged: false });

    await ok("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: proposal });
    for (const token of tokens) expectRefusal(await useToken(token), 401, "binding_changed");
  });

  it("never predicts an admission on a claim the recorded snapshot left out", async () => {
    const s = await scenario();
    expect((await s.loginWith({ nonce: "n-123" })).status).toBe(200);
    expect((await s.loginWith({})).status).toBe(200);
    // A real login with a nonce is refused by this condition: the preview must not say it is admitted.
    const res = await whatIf(s.identity.id, { condition: "!has(claims.nonce)" });
    expect(res.body).toMatchObject({ evaluated: 2, lostCount: 1, unchanged: 1, liveTokensEnded: 1 });
  });

  it("lists the attempts a loosened rule gains, with the rule that refused them", async () => {
    const s = await scenario({ boundClaims: { ref_protected: "true" } });
    expectRefusal(await s.loginWith({ ref_protected: "false" }), 401, "claim_not_allowed: ref_protected");
    expectRefusal(await s.loginWith({ sub: DEV_SUBJECT }), 401, "subject_not_allowed");
    await s.login();

    const res = await whatIf(s.identity.id, { boundSubject: LOOSE_SUBJECT, boundClaims: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ evaluated: 3, gainedCount: 2, lostCount: 0, unchanged: 1, liveTokensEnded: 0 });
    // Newest first.
    expect(res.body.gained.map((e: any) => [e.subject, e.before, e.after, e.rule])).toEqual([
      [DEV_SUBJECT, "refused", "admitted", { rule: "subject", reasonCode: "subject_not_allowed" }],
      [
        GITLAB_SUBJECT,
        "refused",
        "admitted",
        { rule: "claim", claim: "ref_protected", reasonCode: "claim_not_allowed: ref_protected" },
      ],
    ]);
  });

  it("does not replay refusals a configuration cannot change: signature, expiry, replay", async () => {
    const s = await scenario({ boundSubject: GITLAB_SUBJECT, replayProtection: true });
    const good = await s.loginWith();
    expect(good.status).toBe(200);
    expectRefusal(await s.loginJwt(good.jwt), 401, "token_replayed");
    const forged = await s.idp.mint({ sub: DEV_SUBJECT });
    const [head, body, sig] = forged.split(".");
    const flipped = `${sig!.slice(0, 10)}${sig![10] === "A" ? "B" : "A"}${sig!.slice(11)}`;
    expectRefusal(await s.loginJwt(`${head}.${body}.${flipped}`), 401, "signature_invalid");
    expectRefusal(await s.loginWith({ sub: DEV_SUBJECT }, { expiresIn: -3600 }), 401, "token_expired");
    expectRefusal(await s.loginWith({ sub: DEV_SUBJECT }), 401, "subject_not_allowed");

    const res = await whatIf(s.identity.id, { boundSubject: LOOSE_SUBJECT });
    expect(res.body).toMatchObject({ evaluated: 2, gainedCount: 1, unchanged: 1 });
    expect(res.body.gained[0].rule.rule).toBe("subject");
  });

  it("replays the last `days` only: 1 up to the audit retention, 30 by default", async () => {
    const s = await scenario({ boundSubject: LOOSE_SUBJECT });
    await s.login();
    advanceClock(2 * 86_400);
    // The test IdP mints on real time: these claims are on the moved clock.
    const now = nowSeconds();
    expect((await s.loginWith({ iat: now, nbf: now, exp: now + 300 })).status).toBe(200);
    const proposal = { boundSubject: GITLAB_SUBJECT };

    expect((await whatIf(s.identity.id, { ...proposal, days: 1 })).body.evaluated).toBe(1);
    expect((await whatIf(s.identity.id, proposal)).body.evaluated).toBe(2);
    const widest = (await whatIf(s.identity.id, { ...proposal, days: 90 })).body;
    expect(Date.parse(widest.to) - Date.parse(widest.from)).toBe(90 * 86_400_000);
    for (const days of [0, 91, 1.5, "ten", null]) {
      const res = await whatIf(s.identity.id, { ...proposal, days });
      expectRefusal(res, 422, "invalid_request");
      expect(res.body.details).toEqual([
        { field: "days", message: "must be a whole number of days from 1 to 90 (the audit retention)" },
      ]);
    }
  });

  it("refuses a proposal as PATCH would, and answers 404 like GET", async () => {
    const s = await scenario();
    const patch = await call("PATCH", `/api/v1/auth/oidc-auth/identities/${s.identity.id}`, { body: { boundSubject: "" } });
    expectRefusal(patch, 422, "binding_too_broad");
    const res = await whatIf(s.identity.id, { boundSubject: "" });
    expectRefusal(res, 422, "binding_too_broad");
    expect(res.body.details).toEqual(patch.body.details);
    expectRefusal(await whatIf(s.identity.id, { accessTokenTTL: "an hour" }), 422, "invalid_oidc_config");
    // An unknown member is ignored as PATCH ignores it, and named in the answer's warnings.
    const typo = await whatIf(s.identity.id, { boundSubjects: "typo" });
    expect(typo.status).toBe(200);
    expect(typo.body.warnings).toEqual([expect.objectContaining({ code: "unknown_keys_ignored", keys: ["boundSubjects"] })]);

    expectRefusal(await whatIf(crypto.randomUUID(), {}), 404, "identity_not_found");
    const bare = await createIdentity(s.org.id);
    expectRefusal(await whatIf(bare.id, {}), 404, "oidc_auth_not_configured");
  });

  it("is for admins: an org admin of the identity's organization, not of another", async () => {
    const s = await scenario({}, { role: "admin" });
    const orgAdmin = await s.login();
    expect((await whatIf(s.identity.id, { days: 7 }, { token: orgAdmin })).status).toBe(200);

    const other = await createOrg();
    const theirs = await createIdentity(other.id);
    await ok("POST", `/api/v1/auth/oidc-auth/identities/${theirs.id}`, {
      body: { oidcDiscoveryUrl: s.idp.issuer, boundIssuer: s.idp.issuer, boundSubject: GITLAB_SUBJECT },
    });
    expectRefusal(await whatIf(theirs.id, {}, { token: orgAdmin }), 403, "organization_forbidden");

    const member = await (await scenario({}, { role: "member" })).login();
    expectRefusal(await whatIf(s.identity.id, {}, { token: member }), 403, "insufficient_role");
    expectRefusal(await whatIf(s.identity.id, {}, { token: null }), 401, "credentials_missing");
  });
});
