/**
 * What-if: a proposed change of an identity's OIDC Auth configuration (a PATCH body, not saved) replayed
 * against the login attempts its audit trail recorded. Each attempt whose claims were kept (its signature
 * verified) and that was admitted or refused by a configurable rule is decided twice by the one evaluation
 * of a configuration (src/oidc/evaluate.ts): under the current configuration ("before") and under the
 * proposed one ("after"). See docs/policy.md#what-if.
 */
import * as z from "zod";
import { auditRetentionDays } from "../env";
import { DomainError, Reason } from "../errors";
import { CONFIG_REFUSALS, evaluateConfig, type ConfigVerdict, type RuleName } from "../oidc/evaluate";
import { keySourceFingerprint } from "../oidc/live-rules";
import { flushAudit } from "../storage/audit-log";
import {
  liveTokenLoginsPage,
  loginAttemptsPage,
  PartCache,
  type AuditKey,
  type AuditTiers,
  type LiveTokenLogin,
} from "../storage/audit-read";
import { flushLedger } from "../storage/access-tokens";
import { DIGIT_STRING_TOO, oidcConfigInputSchema } from "../oidc/config-schema";
import type { OidcAuthConfig } from "../storage/records";
import { nowMs } from "../time/clock";
import { LOGIN_EVENTS, loginLeftOut, loginSnapshot, type LoginEvent } from "../tokens/audit";
import type { AdminContext } from "./actor";
import { proposedOidcAuth } from "./oidc-auth";
import { auditTiers } from "./audit";

export const WHAT_IF_LIMITS = Object.freeze({
  /** Days replayed when the request does not say. */
  defaultDays: 30,
  /** Login attempts read per what-if, newest first; past it the answer says `truncated`. */
  maxAttempts: 10_000,
  /** Live tokens looked at for `liveTokensEnded`; past it the answer says `truncated`. */
  maxLiveTokens: 10_000,
  /** Entries listed in `gained` and in `lost` (newest first); the counts say how many there are in all. */
  maxListed: 100,
  /**
   * Archived parts (R2 objects of up to 2,000 events of the organization) read for the attempts; past it
   * the answer says `truncated`. An identity's attempts in the archive are found among its organization's.
   */
  maxArchiveParts: 100,
  /** Rows per D1 query: memory holds one page of claim snapshots at a time. */
  page: 500,
});

const DAY_MS = 86_400_000;

const days = z
  .preprocess((v) => (typeof v === "string" && /^\d{1,6}$/.test(v.trim()) ? Number(v.trim()) : v), z.number().int().min(1))
  .meta(DIGIT_STRING_TOO)
  .optional()
  .describe(
    "Days of recorded login attempts to replay, counted back from now: 1 up to the audit retention (`AUDIT_RETENTION_DAYS`, default 90). Default 30.",
  );

/** The request: the fields of a PATCH (each optional, merged over the current configuration), and `days`. */
export const whatIfInputSchema = oidcConfigInputSchema.extend({ days });

export type Outcome = "admitted" | "refused";

/** The rule that decided the attempt differently: the one the refusing configuration applied. */
export interface DecidingRule {
  rule: RuleName;
  claim?: string;
  /** for `condition`: the top-level conjunct that was not true */
  conjunct?: string;
  reasonCode: string;
}

export interface WhatIfEntry {
  /** when the attempt was made (ISO 8601) */
  at: string;
  /** how it came: Infisical's login, or an OAuth 2.0 token exchange (the same login, another wire format) */
  event: LoginEvent;
  /** the token's `sub` (null if it had none) */
  subject: string | null;
  before: Outcome;
  after: Outcome;
  rule: DecidingRule;
}

export interface WhatIfResult {
  /** attempts replayed: gainedCount + lostCount + unchanged */
  evaluated: number;
  from: string;
  to: string;
  /** refused under the current configuration, admitted under the proposed one; newest first, at most 100 */
  gained: WhatIfEntry[];
  /** admitted under the current configuration, refused under the proposed one; newest first, at most 100 */
  lost: WhatIfEntry[];
  gainedCount: number;
  lostCount: number;
  unchanged: number;
  /** live tokens (per the token ledger) the proposed configuration ends: all of them when keySourceChanged */
  liveTokensEnded: number;
  /**
   * the proposal takes the issuer's keys from another source (discovery URL, JWKS URL or JWKS): every live
   * token ends when it is saved, and the replay of attempts assumes the new keys verify them
   */
  keySourceChanged: boolean;
  /**
   * a bound was reached: only the newest 10,000 attempts were replayed, or 100 archived parts read for them,
   * or 10,000 live tokens looked at
   */
  truncated: boolean;
}

/** `days` and the PATCH fields of a what-if body (any other body is left for the PATCH validation to refuse). */
function splitInput(input: unknown): { days: unknown; change: unknown } {
  if (typeof input !== "object" || input === null || Array.isArray(input) || !Object.hasOwn(input, "days")) {
    return { days: undefined, change: input };
  }
  const { days: d, ...change } = input as Record<string, unknown>;
  return { days: d, change };
}

function parseDays(raw: unknown, maxDays: number): number {
  const parsed = days.safeParse(raw);
  const value = parsed.success ? (parsed.data ?? Math.min(WHAT_IF_LIMITS.defaultDays, maxDays)) : undefined;
  if (value === undefined || value > maxDays) {
    const message = `must be a whole number of days from 1 to ${maxDays} (the audit retention)`;
    throw new DomainError(Reason.invalid_request, `Invalid what-if request: days ${message}`, {
      details: [{ field: "days", message }],
    });
  }
  return value;
}

/**
 * Replays the identity's recorded login attempts of the last `days` under the proposed configuration.
 * Guarded like PATCH (404 for an unknown identity or one without OIDC Auth, 403 in another organization,
 * 422 for a proposal PATCH would refuse); reads only, saves and records nothing.
 */
export async function whatIfOidcAuth(ctx: AdminContext, identityId: string, input: unknown): Promise<WhatIfResult> {
  const split = splitInput(input);
  const { identity, current, proposed } = await proposedOidcAuth(ctx, identityId, split.change);
  const windowDays = parseDays(split.days, Math.max(1, Math.floor(auditRetentionDays(ctx.env))));
  const to = nowMs();
  const from = to - windowDays * DAY_MS;
  const db = ctx.env.DB;
  await Promise.all([flushAudit(db), flushLedger(db)]);
  // Both tiers: the attempts of the last days from D1, older ones from the R2 archive.
  const tiers = auditTiers(ctx.env);

  const replay = newReplay();
  let read = 0;
  let parts = 0;
  let after: AuditKey | null | undefined;
  while (read < WHAT_IF_LIMITS.maxAttempts && parts < WHAT_IF_LIMITS.maxArchiveParts) {
    const limit = Math.min(WHAT_IF_LIMITS.page, WHAT_IF_LIMITS.maxAttempts - read);
    const page = await loginAttemptsPage(tiers, {
      orgId: identity.orgId,
      identityId: identity.id,
      events: LOGIN_EVENTS, // both wire formats of a login: Infisical's and the OAuth token exchange
      fromMs: from,
      toMs: to,
      reasons: CONFIG_REFUSALS,
      limit,
      after: after ?? undefined,
    });
    for (const row of page.rows) {
      const claims = loginSnapshot(row.details);
      const leftOut = loginLeftOut(row.details);
      if (claims) {
        replay.add(
          row.createdAt,
          row.event as LoginEvent,
          claims,
          evaluateConfig(current, claims, leftOut),
          evaluateConfig(proposed, claims, leftOut),
        );
      }
    }
    read += page.rows.length;
    parts += page.partsRead;
    after = page.next;
    if (!after) break;
  }
  const attemptsTruncated =
    after !== null && after !== undefined && (read >= WHAT_IF_LIMITS.maxAttempts || parts >= WHAT_IF_LIMITS.maxArchiveParts);

  const [currentKeys, proposedKeys] = await Promise.all([keySourceFingerprint(current), keySourceFingerprint(proposed)]);
  const keySourceChanged = currentKeys !== proposedKeys;
  const live = await countLiveTokensEnded(tiers, identity, proposed, keySourceChanged, Math.floor(to / 1000));
  return {
    evaluated: replay.gainedCount + replay.lostCount + replay.unchanged,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    gained: replay.gained,
    lost: replay.lost,
    gainedCount: replay.gainedCount,
    lostCount: replay.lostCount,
    unchanged: replay.unchanged,
    liveTokensEnded: live.ended,
    keySourceChanged,
    truncated: attemptsTruncated || live.truncated,
  };
}

/** The tally of a replay, fed attempt by attempt, newest first. */
function newReplay() {
  const tally = { gained: [] as WhatIfEntry[], lost: [] as WhatIfEntry[], gainedCount: 0, lostCount: 0, unchanged: 0 };
  return Object.assign(tally, {
    add(createdAt: number, event: LoginEvent, claims: Record<string, unknown>, before: ConfigVerdict, after: ConfigVerdict): void {
      if (before.admitted === after.admitted) {
        tally.unchanged++;
        return;
      }
      const refusing = before.admitted ? after : before;
      const list = before.admitted ? tally.lost : tally.gained;
      if (before.admitted) tally.lostCount++;
      else tally.gainedCount++;
      if (list.length >= WHAT_IF_LIMITS.maxListed || refusing.admitted) return;
      const { rule, claim, conjunct } = refusing.failedRule;
      list.push({
        at: new Date(createdAt).toISOString(),
        event,
        subject: typeof claims.sub === "string" ? claims.sub : null,
        before: before.admitted ? "admitted" : "refused",
        after: after.admitted ? "admitted" : "refused",
        rule: {
          rule,
          ...(claim !== undefined ? { claim } : {}),
          ...(conjunct !== undefined ? { conjunct } : {}),
          reasonCode: DomainError.from(refusing.refusal).reasonCode,
        },
      });
    },
  });
}

/**
 * Live tokens of the identity whose login's claim snapshot the proposed configuration refuses: the tokens
 * that stop working once it is saved. Tokens issued before the configuration was attached (already refused
 * at use) and tokens whose login row kept no snapshot are not counted.
 */
async function countLiveTokensEnded(
  tiers: AuditTiers,
  identity: { id: string; orgId: string },
  proposed: OidcAuthConfig,
  keySourceChanged: boolean,
  nowSeconds: number,
): Promise<{ ended: number; truncated: boolean }> {
  const attachedAt = Math.floor(Date.parse(proposed.createdAt) / 1000) || 0;
  let ended = 0;
  let seen = 0;
  let after: LiveTokenLogin | undefined;
  const parts = new PartCache();
  while (seen < WHAT_IF_LIMITS.maxLiveTokens) {
    const limit = Math.min(WHAT_IF_LIMITS.page, WHAT_IF_LIMITS.maxLiveTokens - seen);
    const page = await liveTokenLoginsPage(
      tiers,
      { orgId: identity.orgId, identityId: identity.id, nowSeconds, issuedSince: attachedAt, limit, after },
      parts,
    );
    for (const token of page) {
      if (keySourceChanged) {
        ended++; // its signature cannot be checked against the new source: every live token ends (live-rules.ts)
        continue;
      }
      const claims = loginSnapshot(token.details);
      if (claims && !evaluateConfig(proposed, claims, loginLeftOut(token.details)).admitted) ended++;
    }
    seen += page.length;
    after = page.at(-1);
    if (page.length < limit) break;
  }
  return { ended, truncated: seen >= WHAT_IF_LIMITS.maxLiveTokens };
}
