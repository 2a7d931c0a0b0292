/**
 * Types for consumers of the AuthService binding. This file has no dependencies: copy it into the
 * consumer, or import it by path (the package's entry, src/index.ts, re-exports the same types). A consumer
 * types its binding as `AUTH: AuthServiceBinding`; test/consumer/index.ts is a complete example.
 */
export interface AuthenticateOptions {
  /**
   * The caller's address as your Worker saw it (the CF-Connecting-IP header, never X-Forwarded-For);
   * checked against the identity's trusted IPs. null when unknown: then only identities that trust every
   * address (the default 0.0.0.0/0, ::/0) are admitted.
   */
  clientIp: string | null;
  /** When given, the result carries the identity's roles in force in that project (empty when none, or not a member). */
  projectId?: string;
}

export type OrgRole = "admin" | "member" | "no-access";

export interface AuthenticateSuccess {
  ok: true;
  identityId: string;
  organizationId: string;
  orgRole: OrgRole;
  projectId?: string;
  projectRoles?: string[];
  tokenId: string;
  authMethod: string;
  /** epoch seconds */
  expiresAt: number;
  /** null when the token has no max-uses limit */
  usesLeft: number | null;
  /** claims copied by the identity's claimMetadataMapping */
  metadata: Record<string, string>;
}

export interface AuthenticateFailure {
  ok: false;
  /**
   * HTTP status a consumer should answer with: 401 (no, bad, expired, revoked or exhausted token),
   * 403 (client IP not trusted), 503 (retry later); 400 means the consumer called with wrong arguments.
   */
  status: number;
  reasonCode: string;
  message: string;
}

export type AuthenticateResult = AuthenticateSuccess | AuthenticateFailure;

export interface AuthServiceBinding {
  authenticate(accessToken: string, options: AuthenticateOptions): Promise<AuthenticateResult>;
}
