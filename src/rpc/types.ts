/**
 * Types for consumers of the AuthService binding. Import them with
 *   import type { AuthenticateResult } from "edge-oidc-auth/rpc";
 * or copy this file: it has no dependencies.
 */
export interface AuthenticateOptions {
  /** The caller's address as your Worker saw it (CF-Connecting-IP); checked against trusted IPs. */
  clientIp: string | null;
  /** When given, the result carries the identity's roles in that project (empty when not a member). */
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
  /** HTTP status a consumer should answer with: 401, 403, or 503 */
  status: number;
  reasonCode: string;
  message: string;
}

export type AuthenticateResult = AuthenticateSuccess | AuthenticateFailure;

export interface AuthServiceBinding {
  authenticate(accessToken: string, options: AuthenticateOptions): Promise<AuthenticateResult>;
}
