import { DurableObject } from "cloudflare:workers";
import { CLOCK_SKEW_SECONDS } from "../constants";
import type { Env } from "../env";
import { errorName, log } from "../observability/log";
import { tokenExpiry } from "./ttl";
import { failure, Reason, type Failure } from "../errors";
import { loadIdentityPolicy, usePolicyOf, type IdentityPolicy, type UsePolicy } from "./policy";
import { nowMs, nowSeconds } from "../time/clock";
import {
  admitPresented,
  admitRow,
  admitUnderRules,
  isRecheck,
  POLICY_UNAVAILABLE,
  type PolicyLookup,
  type Recheck,
  type TokenRowState,
} from "./admission";
import type { TokenRef } from "./token-ref";
import { identityStateObjects, stateObject } from "./token-state-client";
import { withDeadline } from "../time/deadline";
import type { OrgRole } from "../storage/records";

/** A use's answer: only what its caller needs (`UsePolicy`), as it crosses the RPC boundary on every use. */
export type UseOutcome = { ok: true; usesLeft: number | null; policy: UsePolicy } | Failure | Recheck;
export type RenewOutcome = { ok: true; expiresAt: number } | Failure | Recheck;

interface TokenRow extends TokenRowState, Record<string, SqlStorageValue> {
  jti: string;
  expires_at: number;
  max_exp: number;
}

/** What admit() hands on: the policy the token was admitted under, the time it was judged at, its row. */
interface Admitted {
  ok: true;
  policy: IdentityPolicy;
  now: number;
  row: Pick<TokenRow, "uses" | "uses_limit" | "max_exp">;
}

const usesLeftAfter = (uses: number, limit: number) => (limit > 0 ? limit - uses : null);

/**
 * An admin change tells the object at once (policyChanged); this bound only matters when that call failed
 * (the admin saw a 503): the cached policy is reloaded from D1 at least this often anyway.
 */
export const POLICY_MAX_AGE_MS = 60_000;
/**
 * A use that finds the cached policy older than this (but younger than POLICY_MAX_AGE_MS) is judged by it
 * and starts a reload in the background, so that under steady traffic no use waits for the D1 primary,
 * which may be an ocean away (docs/performance.md, "Latency from every region"). The bound is unchanged:
 * a copy older than POLICY_MAX_AGE_MS is never used.
 */
export const POLICY_REFRESH_AHEAD_MS = 45_000;

/** Re-check verdicts kept per configuration (see liveVerdict); when full, all are dropped at once. */
const MAX_VERDICTS = 10_000;
/** Token rows kept in memory (see cachedRows); beyond it the oldest remembered is forgotten first. */
export const MAX_CACHED_ROWS = 10_000;

/**
 * One of an identity's token-state objects (docs/architecture.md, "Token state"): its own object, or one
 * of its 16 shards. Each holds the mutable state (uses, current expiry, revocation) of the tokens whose
 * signed `sob` names it, and a copy of the identity's policy. Each check below runs without an await
 * between reading and writing the token row, so it is atomic: a max-uses limit is exact under any
 * concurrency, and a revocation is seen by the very next use. The own object also keeps the ID-token
 * replay records, and relays admin changes to the shards (identityChanged).
 */
export class TokenStateObject extends DurableObject<Env> {
  private policy: { identityId: string; value: IdentityPolicy | null; loadedAt: number } | undefined;
  private policyLoad: Promise<IdentityPolicy | null> | undefined;
  private policyGeneration = 0;
  /** Verdicts of configAdmitsClaims by jti, for the configuration whose fingerprint is `version`. */
  private verdicts: { version: string; byJti: Map<string, Failure | null> } | undefined;

  /**
   * The `tokens` table is created on the first call that reads or writes token rows, not in the
   * constructor: a shard that is only ever told of admin changes (policyChanged) stores nothing, so an
   * identity's unused shards cost no storage.
   */
  private tokensTable = false;

  /**
   * The token rows this object read or wrote, by jti, exactly as its storage holds them: the object is the
   * only writer of its storage and every write below happens in the same synchronous step as the change
   * to this copy (or forgets the jti), so a copy is never stale. A token without a max-uses limit, whose use
   * writes nothing, is then judged with no SQL statement at all after its first use (docs/performance.md).
   * Lost with the instance; bounded by MAX_CACHED_ROWS.
   */
  private cachedRows = new Map<string, TokenRow>();

  private rememberRow(row: TokenRow): TokenRow {
    if (this.cachedRows.size >= MAX_CACHED_ROWS) {
      const oldest = this.cachedRows.keys().next().value;
      if (oldest !== undefined) this.cachedRows.delete(oldest);
    }
    this.cachedRows.set(row.jti, row);
    return row;
  }

  private tokensSql(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.tokensTable) {
      sql.exec(`CREATE TABLE IF NOT EXISTS tokens (
        jti TEXT PRIMARY KEY,
        uses INTEGER NOT NULL DEFAULT 0,
        uses_limit INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        max_exp INTEGER NOT NULL,
        revoked_at INTEGER
      )`);
      this.tokensTable = true;
    }
    return sql;
  }

  /**
   * A use of the token: admit() checks it (expiry included: this object's clock is the one its cleanup
   * alarm runs on, so a token that reaches it after `exp` can never recreate a deleted row) and consumes
   * one use in the same atomic step.
   */
  use(ref: TokenRef, clientIp: string | null, orgRole?: OrgRole): UseOutcome | Promise<UseOutcome> {
    // The usual use finds the policy in hand and answers with no await at all (see withPolicy).
    return this.withPolicy(ref.identityId, (policy) => {
      const admitted = this.admit(policy, ref, clientIp, { spendUse: true, orgRole });
      if (!admitted.ok) return admitted;
      return { ok: true, usesLeft: usesLeftAfter(admitted.row.uses, admitted.row.uses_limit), policy: usePolicyOf(admitted.policy) };
    });
  }

  /** Extends the token up to its max TTL, once admit() let it through. Not a use: consumes nothing. */
  async renew(ref: TokenRef, clientIp: string | null, ceilingSeconds: number): Promise<RenewOutcome> {
    const admitted = await this.withPolicy(ref.identityId, (policy) => this.admit(policy, ref, clientIp, { spendUse: false }));
    if (!admitted.ok) return admitted;
    const { expiresAt } = tokenExpiry({
      now: admitted.now,
      firstIssuedAt: ref.firstIat,
      ttl: ref.ttl,
      maxTtl: admitted.row.max_exp - ref.firstIat,
      ceiling: ceilingSeconds,
    });
    this.tokensSql().exec("UPDATE tokens SET expires_at = MAX(expires_at, ?) WHERE jti = ?", expiresAt, ref.jti);
    this.cachedRows.delete(ref.jti);
    this.scheduleCleanup(expiresAt);
    return { ok: true, expiresAt };
  }

  /**
   * Revokes the token's jti; true when that changed anything. Already revoked, or expired with no row left
   * (no token of this jti can be live: a renewal would have kept the row), it writes nothing.
   */
  revoke(ref: TokenRef): boolean {
    const sql = this.tokensSql();
    const known = sql.exec<{ revoked_at: number | null }>("SELECT revoked_at FROM tokens WHERE jti = ?", ref.jti).toArray()[0];
    if (known ? known.revoked_at !== null : nowSeconds() >= ref.exp) return false;
    this.row(ref);
    sql.exec("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE jti = ?", nowSeconds(), ref.jti);
    this.cachedRows.delete(ref.jti);
    return true;
  }

  /**
   * Replay protection for logins (opt-in per configuration, `replayProtection`): records the (iss, jti) of
   * an ID token that is about to be admitted, and refuses it when that pair was already recorded and the
   * token could still be accepted (its `exp` plus the clock-skew leeway has not passed). Everything from
   * the read to the write is synchronous, so of any number of concurrent logins with one token exactly one
   * is admitted. Only called when the identity's configuration turns replay protection on: the default
   * login path makes no Durable Object call at all. The table is created on first use.
   */
  claimIdToken(iss: string, jti: string, exp: number): { ok: true } | Failure {
    this.ensureReplayTable();
    if (this.idTokenClaimed(iss, jti)) return failure(Reason.token_replayed);
    const sql = this.ctx.storage.sql;
    const now = nowSeconds();
    const keepUntil = Math.ceil(exp) + CLOCK_SKEW_SECONDS;
    sql.exec("INSERT OR REPLACE INTO id_tokens (iss, jti, keep_until) VALUES (?, ?, ?)", iss, jti, keepUntil);
    this.scheduleCleanup(Math.min(keepUntil, now + ALARM_HORIZON_SECONDS));
    return { ok: true };
  }

  /**
   * Whether claimIdToken would refuse (iss, jti) now, without recording it: what "Test a token" tells an
   * admin (src/admin/dry-run.ts), which must not spend the token a job is about to log in with.
   */
  idTokenClaimed(iss: string, jti: string): boolean {
    if (!this.hasReplayTable()) return false;
    const seen = this.ctx.storage.sql
      .exec<{ keep_until: number }>("SELECT keep_until FROM id_tokens WHERE iss = ? AND jti = ?", iss, jti)
      .toArray()[0];
    return seen !== undefined && seen.keep_until > nowSeconds();
  }

  private replayTable = false;

  private ensureReplayTable(): void {
    if (this.replayTable) return;
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS id_tokens (
      iss TEXT NOT NULL,
      jti TEXT NOT NULL,
      keep_until INTEGER NOT NULL,
      PRIMARY KEY (iss, jti)
    )`);
    this.replayTable = true;
  }

  private hasReplayTable(): boolean {
    if (this.replayTable) return true;
    const found =
      this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'id_tokens'").toArray().length > 0;
    this.replayTable = found;
    return found;
  }

  /** Called after every admin change to the identity; the next use reloads the policy from D1. */
  policyChanged(): void {
    this.policyGeneration++;
    this.policy = undefined;
    this.policyLoad = undefined;
  }

  /**
   * Called on the identity's own object after every admin change to the identity (src/admin/propagate.ts):
   * policyChanged() here and on each of the identity's shards, in parallel; answers once all have
   * acknowledged, and fails if any could not be told. Relayed from here rather than from the Worker, so an
   * admin change costs the Worker one call per identity (a project's deletion tells every member) whatever
   * the number of shards.
   */
  async identityChanged(): Promise<void> {
    this.policyChanged();
    const own = this.ctx.id.toString();
    const shards = identityStateObjects(this.env, own).filter((id) => id !== own);
    await Promise.all(shards.map((id) => withDeadline(stateObject(this.env, id).policyChanged())));
  }

  /**
   * Deletes the rows of tokens whose latest expiry has passed. Safe without a grace period: use and renew
   * refuse any token at or past its `exp` before they read or create a row, so a deleted row is never
   * needed again (revoke may recreate one; the next alarm drops it).
   */
  override async alarm(): Promise<void> {
    const sql = this.tokensSql();
    const now = nowSeconds();
    sql.exec("DELETE FROM tokens WHERE expires_at <= ?", now);
    this.cachedRows.clear();
    let next = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM tokens").one().next;
    // Replay records (claimIdToken) go once their ID token can no longer be accepted anyway.
    if (this.hasReplayTable()) {
      sql.exec("DELETE FROM id_tokens WHERE keep_until <= ?", now);
      const replayNext = sql.exec<{ next: number | null }>("SELECT MIN(keep_until) AS next FROM id_tokens").one().next;
      if (replayNext !== null && (next === null || replayNext < next)) next = replayNext;
    }
    if (next !== null) await this.ctx.storage.setAlarm(cleanupTime(Math.min(next, now + ALARM_HORIZON_SECONDS)));
  }

  /**
   * The one admission step of use() and renew() (src/tokens/admission.ts decides, in its order): the
   * presented token against this object's clock and the identity's policy, then the token's row, created
   * from the signed limits on first sight. Nothing awaits after the policy is in hand, so no other call
   * interleaves: the checks and the use `spendUse` consumes are one atomic step, and a refusal consumes
   * nothing. Synchronous: the caller gets `policy` first (withPolicy).
   */
  private admit(
    policy: PolicyLookup,
    ref: TokenRef,
    clientIp: string | null,
    opts: { spendUse: boolean; orgRole?: OrgRole | undefined },
  ): Admitted | Failure | Recheck {
    const now = nowSeconds();
    const presented = admitPresented(ref, policy, clientIp, now);
    if (!presented.ok) return presented;
    const live = this.liveVerdict(ref, presented.policy);
    if (live) return live;
    const sql = this.tokensSql();
    // A use that needs an org role (the admin API): refused after the row's own refusals, before any use is spent.
    const wrongRole = opts.orgRole !== undefined && presented.policy.orgRole !== opts.orgRole;
    // The token's row: from memory after its first use (cachedRows), else read, or created on first sight;
    // its expires_at follows a renewed exp, so cleanup never drops a live token.
    const row = this.row(ref);
    const refused = admitRow(row);
    if (refused) return refused;
    if (wrongRole) return failure(Reason.insufficient_role);
    // A token without a max-uses limit has no use to count: its use writes nothing. A counted use is one
    // statement, the row's conditions (not revoked, uses left) having been judged above in the same step.
    if (opts.spendUse && row.uses_limit > 0) {
      sql.exec("UPDATE tokens SET uses = uses + 1 WHERE jti = ?", ref.jti);
      row.uses++; // the remembered copy (row() returns it) follows the statement
    }
    return { ok: true, policy: presented.policy, now, row };
  }

  /**
   * Whether the current configuration still admits the token (admitUnderRules). A re-check's verdict is
   * kept per (jti, configuration fingerprint): a hot token costs one check, and one extra round trip for
   * its snapshot (RECHECK), per configuration change, not per use. A reload of the same configuration
   * keeps the verdicts; another configuration starts afresh. Synchronous: part of admit()'s atomic step.
   */
  private liveVerdict(ref: TokenRef, policy: IdentityPolicy): Failure | Recheck | null {
    const rules = policy.liveRulesByMethod[ref.authMethod];
    if (!rules || ref.issuedUnder === undefined || ref.issuedUnder === rules.version) return admitUnderRules(ref, rules);
    if (this.verdicts?.version !== rules.version) this.verdicts = { version: rules.version, byJti: new Map() };
    const verdicts = this.verdicts.byJti;
    const known = verdicts.get(ref.jti);
    if (known !== undefined) return known;
    const verdict = admitUnderRules(ref, rules);
    if (verdict && isRecheck(verdict)) return verdict;
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(ref.jti, verdict);
    return verdict;
  }

  /** The token's row, created from its signed limits on first sight. */
  private row(ref: TokenRef): TokenRow {
    const sql = this.tokensSql();
    const cached = this.cachedRows.get(ref.jti);
    const existing = cached ?? sql.exec<TokenRow>("SELECT * FROM tokens WHERE jti = ?", ref.jti).toArray()[0];
    if (existing) {
      if (ref.exp > existing.expires_at) {
        sql.exec("UPDATE tokens SET expires_at = ? WHERE jti = ?", ref.exp, ref.jti);
        existing.expires_at = ref.exp;
      }
      return cached ?? this.rememberRow(existing);
    }
    sql.exec(
      "INSERT INTO tokens (jti, uses, uses_limit, expires_at, max_exp) VALUES (?, 0, ?, ?, ?)",
      ref.jti,
      ref.uses,
      ref.exp,
      ref.maxExp,
    );
    this.scheduleCleanup(ref.exp);
    return this.rememberRow({
      jti: ref.jti,
      uses: 0,
      uses_limit: ref.uses,
      expires_at: ref.exp,
      max_exp: ref.maxExp,
      revoked_at: null,
    });
  }

  private scheduleCleanup(expiresAt: number): void {
    const at = cleanupTime(expiresAt);
    void this.ctx.storage.getAlarm().then((current) => {
      if (current === null || current > at) return this.ctx.storage.setAlarm(at);
    });
  }

  /**
   * The identity's policy (null: the identity is gone), or POLICY_UNAVAILABLE when D1 could not be read.
   * A policyChanged() that arrives while the policy is being read makes it read again: that read may have
   * started before the admin's write, and once policyChanged() has answered no use may be judged by what
   * preceded the change (docs/architecture.md, "How configuration changes reach live tokens").
   */
  private async currentPolicy(identityId: string): Promise<PolicyLookup> {
    for (;;) {
      const generation = this.policyGeneration;
      const policy = await this.loadPolicy(identityId);
      if (generation === this.policyGeneration || policy === POLICY_UNAVAILABLE) return policy;
    }
  }

  /**
   * `judge` under the identity's current policy: at once when the object holds a fresh one (no promise, no
   * await: the usual use), else once it is loaded (currentPolicy). `judge` itself is synchronous, so either
   * way nothing interleaves between the policy in hand and the atomic step.
   */
  private withPolicy<T>(identityId: string, judge: (policy: PolicyLookup) => T): T | Promise<T> {
    const fresh = this.freshPolicy(identityId);
    return fresh !== undefined ? judge(fresh) : this.currentPolicy(identityId).then(judge);
  }

  /**
   * The cached policy when it is the identity's and fresh enough (null counts: the identity is gone), else
   * undefined. Synchronous, so a use that finds it has no await at all before its atomic step.
   */
  private freshPolicy(identityId: string): IdentityPolicy | null | undefined {
    const cached = this.policy;
    if (cached?.identityId !== identityId) return undefined;
    // The service clock (src/time/clock.ts), so tests can age the copy.
    const age = nowMs() - cached.loadedAt;
    if (age >= POLICY_MAX_AGE_MS) return undefined;
    if (age >= POLICY_REFRESH_AHEAD_MS) this.startPolicyLoad(identityId).catch(logPolicyLoadFailure);
    return cached.value;
  }

  private async loadPolicy(identityId: string): Promise<PolicyLookup> {
    const cached = this.freshPolicy(identityId);
    if (cached !== undefined) return cached;
    try {
      return await this.startPolicyLoad(identityId);
    } catch (err) {
      // Not cached: the next call tries again.
      logPolicyLoadFailure(err);
      return POLICY_UNAVAILABLE;
    }
  }

  /** The load in flight, or a new one; its result is cached unless an admin change arrived meanwhile. */
  private startPolicyLoad(identityId: string): Promise<IdentityPolicy | null> {
    if (!this.policyLoad) {
      const generation = this.policyGeneration;
      const loadedAt = nowMs();
      this.policyLoad = loadIdentityPolicy(this.env.DB, identityId)
        .then((p) => {
          if (generation === this.policyGeneration) this.policy = { identityId, value: p, loadedAt };
          return p;
        })
        .finally(() => {
          if (generation === this.policyGeneration) this.policyLoad = undefined;
        });
    }
    return this.policyLoad;
  }
}

const logPolicyLoadFailure = (err: unknown) => log("error", "policy_load_failed", { name: errorName(err) });

/**
 * Alarms are set at most this far ahead: an ID token may carry an absurd `exp` (its replay record is kept
 * that long regardless); the alarm then just runs, deletes nothing, and re-arms.
 */
const ALARM_HORIZON_SECONDS = 365 * 86_400;

/** One second after the last second in which a token with this `exp` is still valid. */
const cleanupTime = (expiresAt: number) => (expiresAt + 1) * 1000;
