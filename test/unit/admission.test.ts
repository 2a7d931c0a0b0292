import { describe, expect, it } from "vitest";
import type { LiveRules } from "../../src/oidc/live-rules";
import {
  admitPresented,
  admitRow,
  admitUnderRules,
  ISSUANCE_WINDOW_MS,
  POLICY_UNAVAILABLE,
  RECHECK,
  type TokenRowState,
} from "../../src/tokens/admission";
import type { IdentityPolicy } from "../../src/tokens/policy";
import type { TokenRef } from "../../src/tokens/token-ref";

const NOW = 1_700_000_000;
const ANYWHERE = ["0.0.0.0/0", "::/0"];

const ref = (over: Partial<TokenRef> = {}): TokenRef => ({
  jti: "0190f5a0-0000-7000-8000-000000000001",
  identityId: "identity-1",
  authMethod: "oidc-auth",
  authConfigId: "config-1",
  exp: NOW + 60,
  maxExp: NOW + 3600,
  firstIat: NOW - 60,
  ttl: 120,
  uses: 0,
  ...over,
});

const policy = (trustedIps: string[] = ANYWHERE, over: Partial<IdentityPolicy> = {}): IdentityPolicy => ({
  identityId: "identity-1",
  orgId: "org-1",
  orgRole: "member",
  trustedIpsByMethod: { "oidc-auth": trustedIps },
  authConfigIdByMethod: { "oidc-auth": "config-1" },
  liveRulesByMethod: {},
  projectRoleGrants: {},
  tokensRevokedBefore: null,
  identity: { name: "ci", authMethods: ["oidc-auth"], createdAt: "", updatedAt: "" },
  organization: { name: "Org", slug: "org" },
  ...over,
});

const row = (over: Partial<TokenRowState> = {}): TokenRowState => ({ uses: 0, uses_limit: 0, revoked_at: null, ...over });

const reasonOf = (outcome: { ok: boolean; reason?: string }) => (outcome.ok ? "admitted" : outcome.reason);

describe("admitPresented", () => {
  it("admits a live token of a current identity from a trusted address, and hands on the policy", () => {
    const p = policy(["10.0.0.0/8"]);
    expect(admitPresented(ref(), p, "10.1.2.3", NOW)).toEqual({ ok: true, policy: p });
    expect(admitPresented(ref(), policy(), null, NOW)).toMatchObject({ ok: true });
  });

  it("refuses at exp and at the max TTL exactly (both exclusive), the max TTL first", () => {
    expect(reasonOf(admitPresented(ref(), policy(), null, NOW + 59))).toBe("admitted");
    expect(reasonOf(admitPresented(ref(), policy(), null, NOW + 60))).toBe("access_token_expired");
    expect(reasonOf(admitPresented(ref({ maxExp: NOW }), policy(), null, NOW))).toBe("token_max_ttl_reached");
    expect(reasonOf(admitPresented(ref({ exp: NOW, maxExp: NOW }), policy(), null, NOW))).toBe("token_max_ttl_reached");
  });

  it("tells an expired token so before anything else: an unreadable policy, a gone identity, an untrusted address", () => {
    const expired = ref({ exp: NOW });
    for (const p of [POLICY_UNAVAILABLE, null, policy(["10.0.0.0/8"])] as const) {
      expect(reasonOf(admitPresented(expired, p, "192.0.2.1", NOW))).toBe("access_token_expired");
    }
  });

  it("an unreadable policy is a retryable outage, never an admission", () => {
    expect(admitPresented(ref(), POLICY_UNAVAILABLE, null, NOW)).toEqual({
      ok: false,
      reason: "token_state_unavailable",
      message: expect.any(String),
      retryAfterSeconds: 1,
    });
  });

  it("refuses the token of an identity that is gone, or of another identity, as a refused token", () => {
    for (const p of [null, policy(ANYWHERE, { identityId: "identity-2" })]) {
      expect(admitPresented(ref(), p, null, NOW)).toMatchObject({ ok: false, reason: "identity_not_found", kind: "refused" });
    }
  });

  it("refuses a token first issued at or before the identity's revoke-all, and admits one first issued after", () => {
    const firstIat = NOW - 60;
    expect(reasonOf(admitPresented(ref({ firstIat }), policy(ANYWHERE, { tokensRevokedBefore: firstIat }), null, NOW))).toBe(
      "token_revoked",
    );
    expect(reasonOf(admitPresented(ref({ firstIat }), policy(ANYWHERE, { tokensRevokedBefore: firstIat + 1 }), null, NOW))).toBe(
      "token_revoked",
    );
    expect(reasonOf(admitPresented(ref({ firstIat }), policy(ANYWHERE, { tokensRevokedBefore: firstIat - 1 }), null, NOW))).toBe(
      "admitted",
    );
    // Expiry is still told first; a deleted identity before a revocation.
    const revokedAll = policy(ANYWHERE, { tokensRevokedBefore: NOW });
    expect(reasonOf(admitPresented(ref(), revokedAll, null, NOW + 60))).toBe("access_token_expired");
    expect(reasonOf(admitPresented(ref(), { ...revokedAll, identityId: "identity-2" }, null, NOW))).toBe("identity_not_found");
  });

  it("refuses a token whose auth method or configuration is no longer attached (a detach and re-attach included)", () => {
    const detached = policy(ANYWHERE, { trustedIpsByMethod: {}, authConfigIdByMethod: {} });
    const reattached = policy(ANYWHERE, { authConfigIdByMethod: { "oidc-auth": "config-2" } });
    for (const p of [detached, reattached]) {
      expect(admitPresented(ref(), p, null, NOW)).toMatchObject({ ok: false, reason: "auth_method_removed" });
    }
    expect(reasonOf(admitPresented(ref({ authConfigId: undefined }), policy(), null, NOW))).toBe("auth_method_removed");
  });

  it("refuses an address outside the trusted ranges, and an unknown address unless every address is trusted", () => {
    const p = policy(["10.0.0.0/8", "2001:db8::/32"]);
    expect(reasonOf(admitPresented(ref(), p, "2001:db8::1", NOW))).toBe("admitted");
    expect(reasonOf(admitPresented(ref(), p, "192.0.2.1", NOW))).toBe("ip_not_trusted");
    expect(reasonOf(admitPresented(ref(), p, null, NOW))).toBe("ip_not_trusted");
    expect(reasonOf(admitPresented(ref(), policy(["0.0.0.0/0"]), null, NOW))).toBe("ip_not_trusted");
  });
});

describe("admitRow", () => {
  it("admits an unrevoked row with uses left; a limit of 0 is no limit", () => {
    expect(admitRow(row())).toBeNull();
    expect(admitRow(row({ uses: 1_000_000 }))).toBeNull();
    expect(admitRow(row({ uses: 2, uses_limit: 3 }))).toBeNull();
  });

  it("refuses a row whose uses are spent", () => {
    expect(admitRow(row({ uses: 3, uses_limit: 3 }))).toMatchObject({ ok: false, reason: "token_uses_exhausted" });
  });

  it("refuses a revoked row, before its uses", () => {
    expect(admitRow(row({ revoked_at: NOW }))).toMatchObject({ ok: false, reason: "token_revoked" });
    expect(admitRow(row({ revoked_at: NOW, uses: 3, uses_limit: 3 }))).toMatchObject({ ok: false, reason: "token_revoked" });
  });
});

describe("admitUnderRules", () => {
  const SUBJECT = "project_path:mygroup/myproject:ref_type:branch:ref:main";
  const rules = (over: Partial<LiveRules> = {}): LiveRules => ({
    boundIssuer: "https://gitlab.com",
    boundSubject: "project_path:mygroup/myproject:*",
    boundAudiences: "",
    boundClaims: {},
    condition: "",
    keySource: "keys-1",
    version: "config-2",
    updatedAtMs: NOW * 1000,
    ...over,
  });
  const issuedFor = (sub = SUBJECT, keySource = "keys-1") => ({ claims: { iss: "https://gitlab.com", sub }, keySource });
  const verdict = (outcome: ReturnType<typeof admitUnderRules>) =>
    outcome === null ? "admitted" : outcome === RECHECK ? "recheck" : (outcome as { reason: string }).reason;

  it("admits a token issued under this very configuration without looking at its snapshot", () => {
    expect(admitUnderRules(ref({ issuedUnder: "config-2" }), rules())).toBeNull();
    expect(admitUnderRules(ref({ issuedUnder: "config-2", issuedFor: issuedFor("other") }), rules())).toBeNull();
  });

  it("asks for the snapshot of a token issued under another configuration, then decides on it", () => {
    expect(admitUnderRules(ref({ issuedUnder: "config-1" }), rules())).toBe(RECHECK);
    expect(verdict(admitUnderRules(ref({ issuedUnder: "config-1", issuedFor: issuedFor() }), rules()))).toBe("admitted");
    const refused = admitUnderRules(ref({ issuedUnder: "config-1", issuedFor: issuedFor("repo:other") }), rules());
    expect(refused).toMatchObject({ ok: false, reason: "binding_changed", message: expect.stringContaining("subject_not_allowed") });
    expect(verdict(admitUnderRules(ref({ issuedUnder: "config-1", issuedFor: issuedFor(SUBJECT, "keys-0") }), rules()))).toBe(
      "binding_changed",
    );
    // A token that somehow brought no snapshot (an empty one) matches nothing.
    expect(verdict(admitUnderRules(ref({ issuedUnder: "config-1", issuedFor: { claims: {}, keySource: "" } }), rules()))).toBe(
      "binding_changed",
    );
  });

  it("judges a token without a fingerprint by time: admitted only if issued well after the last change", () => {
    const issuedAt = (ms: number) => ref({ firstIat: Math.floor(ms / 1000) });
    const changedAt = NOW * 1000 + 500; // mid-second: first_iat counts whole seconds
    const after = changedAt + ISSUANCE_WINDOW_MS;
    expect(verdict(admitUnderRules(issuedAt(after + 1000), rules({ updatedAtMs: changedAt })))).toBe("admitted");
    expect(verdict(admitUnderRules(issuedAt(after), rules({ updatedAtMs: changedAt })))).toBe("binding_changed");
    expect(verdict(admitUnderRules(issuedAt(changedAt - 5000), rules({ updatedAtMs: changedAt })))).toBe("binding_changed");
    expect(verdict(admitUnderRules(issuedAt(after + 1000), rules({ updatedAtMs: Number.NaN })))).toBe("binding_changed");
  });

  it("refuses when there are no rules to judge by", () => {
    expect(verdict(admitUnderRules(ref({ issuedUnder: "config-2" }), undefined))).toBe("binding_changed");
  });
});
