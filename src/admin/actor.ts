import type { Env } from "../env";
import { DomainError, Reason } from "../errors";

/** Who is making an admin change: the deployment's admin key, or an org-admin identity's access token. */
export type Actor = { kind: "admin-key" } | { kind: "identity"; identityId: string; orgId: string; tokenId: string };

/** Everything an admin operation needs; the HTTP API and the console build it the same way. */
export interface AdminContext {
  env: Env;
  actor: Actor;
  clientIp: string | null;
  waitUntil: (p: Promise<unknown>) => void;
}

export const actorLabel = (a: Actor) => (a.kind === "admin-key" ? "admin-key" : `identity:${a.identityId}`);

/** An identity actor may act only inside its own organization. */
export function assertOrgAccess(actor: Actor, orgId: string): void {
  if (actor.kind === "identity" && actor.orgId !== orgId) {
    throw new DomainError(Reason.organization_forbidden);
  }
}

export function assertAdminKey(actor: Actor): void {
  if (actor.kind !== "admin-key") {
    throw new DomainError(Reason.admin_key_required);
  }
}
