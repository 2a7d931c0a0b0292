import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { isIpAllowed } from "../net/ip-ranges";
import { tokenExpiry } from "./ttl";
import { loadIdentityPolicy, type IdentityPolicy } from "./policy";
import { CLOCK_SKEW_SECONDS } from "../constants";

/** The signed facts about a token that its state is created from on first use. */
export interface TokenRef {
  jti: string;
  identityId: string;
  authMethod: string;
  exp: number;
  maxExp: number;
  firstIat: number;
  ttl: number;
  uses: number;
}

export type Refusal = { ok: false; status: 401 | 403; reasonCode: string; message: string };
export type UseOutcome = { ok: true; usesLeft: number | null; policy: IdentityPolicy } | Refusal;
export type RenewOutcome = { ok: true; expiresAt: number; policy: IdentityPolicy } | Refusal;

interface TokenRow extends Record<string, SqlStorageValue> {
  jti: string;
  uses: number;
  uses_limit: number;
  expires_at: number;
  max_exp: number;
  revoked_at: number | null;
}

const refuse = (status: 401 | 403, reasonCode: string, message: string): Refusal => ({ ok: false, status, reasonCode, message });

/**
 * One object per identity (see docs/architecture.md): it holds the mutable state of every token the
 * identity was issued (uses, current expiry, revocation) and a copy of the identity's policy. Each check
 * below runs without an await between reading and writing the token row, so it is atomic: a max-uses
 * limit is exact under any concurrency, and a revocation is seen by the very next use.
 */
export class TokenStateObject extends DurableObject<Env> {
  private policy: { identityId: string; value: IdentityPolicy | null } | undefined;
  private policyLoad: Promise<IdentityPolicy | null> | undefined;
  private policyGeneration = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS tokens (
      jti TEXT PRIMARY KEY,
      uses INTEGER NOT NULL DEFAULT 0,
      uses_limit INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      max_exp INTEGER NOT NULL,
      revoked_at INTEGER
    )`);
  }

  /** A use of the token: checks policy, IP, revocation and uses, then consumes one use. */
  async use(ref: TokenRef, clientIp: string | null): Promise<UseOutcome> {
    const policy = await this.currentPolicy(ref.identityId);
    const refusal = this.checkPolicy(policy, ref, clientIp);
    if (refusal) return refusal;
    const row = this.row(ref);
    if (row.revoked_at !== null) return refuse(401, "token_revoked", "The access token has been revoked");
    if (row.uses_limit > 0 && row.uses >= row.uses_limit) {
      return refuse(401, "token_uses_exhausted", "The access token has no uses left");
    }
    this.ctx.storage.sql.exec("UPDATE tokens SET uses = uses + 1 WHERE jti = ?", ref.jti);
    const usesLeft = row.uses_limit > 0 ? row.uses_limit - row.uses - 1 : null;
    return { ok: true, usesLeft, policy: policy! };
  }

  /** Extends the token up to its max TTL. Not a use: consumes nothing. */
  async renew(ref: TokenRef, clientIp: string | null, ceilingSeconds: number): Promise<RenewOutcome> {
    const policy = await this.currentPolicy(ref.identityId);
    const refusal = this.checkPolicy(policy, ref, clientIp);
    if (refusal) return refusal;
    const row = this.row(ref);
    const now = Math.floor(Date.now() / 1000);
    if (row.revoked_at !== null) return refuse(401, "token_revoked", "The access token has been revoked");
    if (row.uses_limit > 0 && row.uses >= row.uses_limit) {
      return refuse(401, "token_uses_exhausted", "The access token has no uses left");
    }
    if (now >= row.max_exp) return refuse(401, "token_max_ttl_reached", "The access token reached its max TTL");
    const { expiresAt } = tokenExpiry({
      now,
      firstIssuedAt: ref.firstIat,
      ttl: ref.ttl,
      maxTtl: row.max_exp - ref.firstIat,
      ceiling: ceilingSeconds,
    });
    this.ctx.storage.sql.exec("UPDATE tokens SET expires_at = MAX(expires_at, ?) WHERE jti = ?", expiresAt, ref.jti);
    this.scheduleCleanup(expiresAt);
    return { ok: true, expiresAt, policy: policy! };
  }

  revoke(ref: TokenRef): void {
    this.row(ref);
    this.ctx.storage.sql.exec(
      "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE jti = ?",
      Math.floor(Date.now() / 1000),
      ref.jti,
    );
  }

  /** Called after every admin change to the identity; the next use reloads the policy from D1. */
  policyChanged(): void {
    this.policyGeneration++;
    this.policy = undefined;
    this.policyLoad = undefined;
  }

  override async alarm(): Promise<void> {
    const cutoff = Math.floor(Date.now() / 1000) - CLOCK_SKEW_SECONDS;
    this.ctx.storage.sql.exec("DELETE FROM tokens WHERE expires_at < ?", cutoff);
    const next = this.ctx.storage.sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM tokens").one().next;
    if (next !== null) await this.ctx.storage.setAlarm((next + CLOCK_SKEW_SECONDS + 1) * 1000);
  }

  private checkPolicy(policy: IdentityPolicy | null, ref: TokenRef, clientIp: string | null): Refusal | null {
    if (!policy || policy.identityId !== ref.identityId) {
      return refuse(401, "identity_not_found", "The identity of this access token no longer exists");
    }
    const ranges = policy.trustedIpsByMethod[ref.authMethod];
    if (!ranges) return refuse(401, "auth_method_removed", `The identity no longer has ${ref.authMethod} attached`);
    const allowsAll = ranges.includes("0.0.0.0/0") && ranges.includes("::/0");
    if (!allowsAll && (clientIp === null || !isIpAllowed(clientIp, ranges))) {
      return refuse(403, "ip_not_trusted", "The client IP address is not in the identity's trusted IP ranges");
    }
    return null;
  }

  /** The token's row, created from its signed limits on first sight. */
  private row(ref: TokenRef): TokenRow {
    const sql = this.ctx.storage.sql;
    const existing = sql.exec<TokenRow>("SELECT * FROM tokens WHERE jti = ?", ref.jti).toArray()[0];
    if (existing) {
      if (ref.exp > existing.expires_at) {
        sql.exec("UPDATE tokens SET expires_at = ? WHERE jti = ?", ref.exp, ref.jti);
        existing.expires_at = ref.exp;
      }
      return existing;
    }
    sql.exec(
      "INSERT INTO tokens (jti, uses, uses_limit, expires_at, max_exp) VALUES (?, 0, ?, ?, ?)",
      ref.jti, ref.uses, ref.exp, ref.maxExp,
    );
    this.scheduleCleanup(ref.exp);
    return { jti: ref.jti, uses: 0, uses_limit: ref.uses, expires_at: ref.exp, max_exp: ref.maxExp, revoked_at: null };
  }

  private scheduleCleanup(expiresAt: number): void {
    const at = (expiresAt + CLOCK_SKEW_SECONDS + 1) * 1000;
    void this.ctx.storage.getAlarm().then((current) => {
      if (current === null || current > at) return this.ctx.storage.setAlarm(at);
    });
  }

  private async currentPolicy(identityId: string): Promise<IdentityPolicy | null> {
    if (this.policy?.identityId === identityId) return this.policy.value;
    if (!this.policyLoad) {
      const generation = this.policyGeneration;
      this.policyLoad = loadIdentityPolicy(this.env.DB, identityId)
        .then((p) => {
          if (generation === this.policyGeneration) this.policy = { identityId, value: p };
          return p;
        })
        .finally(() => {
          if (generation === this.policyGeneration) this.policyLoad = undefined;
        });
    }
    return this.policyLoad;
  }
}
