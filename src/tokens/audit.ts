import type { LoginTrace } from "../oidc/authenticate";
import { type ClaimSnapshot, type LeftOut, readLeftOut } from "../oidc/claim-snapshot";
import { issuedTokenFacts } from "../storage/access-tokens";
import { recordAudit, recordCountedAudit, recordLogin, type AuditEvent } from "../storage/audit-log";
import type { AccessTokenClaims } from "./access-token";
import type { Caller } from "./caller";

/**
 * The audit event of a login, by wire format: Infisical's login (`login`) or an OAuth 2.0 token exchange
 * (`token.exchange`, RFC 8693). One code path, two names, so the log and the console can tell them apart.
 */
export const LOGIN_EVENTS = ["login", "token.exchange"] as const;
export type LoginEvent = (typeof LOGIN_EVENTS)[number];

/** A login attempt as its audit event records it; filled in as the login proceeds (the trace included). */
export interface LoginAttempt extends LoginTrace {
  /** default `login` */
  event?: LoginEvent;
  /** null when the submitted identity id is not even well formed */
  identityId: string | null;
  orgId: string | null;
}

/** How a login ended: the token it issued, or the refusal. */
export type LoginResult =
  | { outcome: "success"; token: AccessTokenClaims }
  | { outcome: "failure"; reasonCode: string; refusedFor?: string };

/**
 * Marks `details.claims` of a login row as the claim snapshot (src/oidc/claim-snapshot.ts), which a what-if
 * replays; rows written before it kept only the checked claims, as text, and are not replayed.
 */
const SNAPSHOT_VERSION = 1;

/**
 * One audit event per login attempt of an identity. An attempt that found no identity (an unknown or
 * malformed id: `orgId` is still null) is counted instead, in one row per client address and minute
 * (recordCountedAudit): guessing ids costs the audit log a row a minute, not a row a request. `details`: the claim snapshot once
 * the signature verified (`claims`), the rule that refused the token (`failedRule`), the refusal a rate
 * limit replaced (`refusedFor`). Never the token. A success's row is also its token's ledger row (its
 * expiry and limits: docs/architecture.md, "One row per login"): a login writes one row.
 */
export function auditLogin(db: D1Database, caller: Caller, attempt: LoginAttempt, result: LoginResult): void {
  const refusedFor = result.outcome === "failure" ? result.refusedFor : undefined;
  if (attempt.orgId === null && result.outcome === "failure") {
    recordCountedAudit(
      db,
      {
        event: attempt.event ?? "login",
        outcome: "failure",
        reasonCode: result.reasonCode,
        clientIp: caller.ip,
        country: caller.country,
        colo: caller.colo,
        details: refusedFor ? { refusedFor } : undefined,
      },
      caller.waitUntil,
    );
    return;
  }
  if (!attempt.identityId) return;
  const failedRule = result.outcome === "failure" ? attempt.failedRule : undefined;
  const details = {
    ...(attempt.claims ? { claims: attempt.claims, snapshot: SNAPSHOT_VERSION, leftOut: attempt.leftOut ?? "unknown" } : {}),
    ...(failedRule ? { failedRule } : {}),
    ...(refusedFor ? { refusedFor } : {}),
  };
  const event: AuditEvent = {
    event: attempt.event ?? "login",
    outcome: result.outcome,
    reasonCode: result.outcome === "failure" ? result.reasonCode : null,
    orgId: attempt.orgId,
    identityId: attempt.identityId,
    actor: `identity:${attempt.identityId}`,
    clientIp: caller.ip,
    country: caller.country,
    colo: caller.colo,
    details: Object.keys(details).length ? details : undefined,
  };
  if (result.outcome === "success") recordLogin(db, event, issuedTokenFacts(result.token), caller.waitUntil);
  else recordAudit(db, event, caller.waitUntil);
}

/** What the snapshot of a login row left out (rows written before it was recorded: "unknown"). */
export function loginLeftOut(details: unknown): LeftOut {
  return readLeftOut((details as { leftOut?: unknown } | null)?.leftOut);
}

/** The claim snapshot a login row recorded (see auditLogin), or null for a row without one. */
export function loginSnapshot(details: unknown): ClaimSnapshot | null {
  const d = details as { claims?: unknown; snapshot?: unknown } | null;
  const claims = d?.snapshot === SNAPSHOT_VERSION ? d.claims : undefined;
  return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? (claims as ClaimSnapshot) : null;
}

/** A renewal or a revocation by the token's holder, acting as its identity. */
export function auditTokenEvent(
  db: D1Database,
  caller: Caller,
  event: "token.renew" | "token.revoke",
  claims: AccessTokenClaims,
): void {
  recordAudit(
    db,
    {
      event,
      outcome: "success",
      orgId: claims.org,
      identityId: claims.sub,
      actor: `identity:${claims.sub}`,
      clientIp: caller.ip,
      tokenId: claims.jti,
    },
    caller.waitUntil,
  );
}
