import type { LoginTrace } from "../oidc/authenticate";
import { recordAudit } from "../storage/audit-log";
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
  /** null when the submitted identity id is not even well formed: such attempts are not audited */
  identityId: string | null;
  orgId: string | null;
}

export type LoginResult = { outcome: "success"; tokenId: string } | { outcome: "failure"; reasonCode: string; refusedFor?: string };

/** One audit event per login attempt that named a well-formed identity id. */
export function auditLogin(db: D1Database, caller: Caller, attempt: LoginAttempt, result: LoginResult): void {
  if (!attempt.identityId) return;
  const refusedFor = result.outcome === "failure" ? result.refusedFor : undefined;
  recordAudit(
    db,
    {
      event: attempt.event ?? "login",
      outcome: result.outcome,
      reasonCode: result.outcome === "failure" ? result.reasonCode : null,
      orgId: attempt.orgId,
      identityId: attempt.identityId,
      actor: `identity:${attempt.identityId}`,
      clientIp: caller.ip,
      country: caller.country,
      colo: caller.colo,
      tokenId: result.outcome === "success" ? result.tokenId : null,
      details:
        attempt.checkedClaims || refusedFor
          ? {
              ...(attempt.checkedClaims ? { claims: attempt.checkedClaims } : {}),
              ...(refusedFor ? { refusedFor } : {}),
            }
          : undefined,
    },
    caller.waitUntil,
  );
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
