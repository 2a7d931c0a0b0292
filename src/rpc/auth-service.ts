import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "../env";
import { ApiError } from "../http/errors";
import { useAccessToken } from "../tokens/use-token";
import type { AuthenticateOptions, AuthenticateResult } from "./types";

/**
 * Token validation for downstream Workers over a service binding:
 *   services = [{ binding = "AUTH", service = "edge-oidc-auth", entrypoint = "AuthService" }]
 * A call is a use of the token and applies every rule the HTTP API applies. It never throws for a bad
 * token or bad arguments: it answers a refusal, so a consumer cannot fail open by forgetting a catch.
 */
export class AuthService extends WorkerEntrypoint<Env> {
  async authenticate(accessToken: unknown, options: AuthenticateOptions = { clientIp: null }): Promise<AuthenticateResult> {
    try {
      if (typeof accessToken !== "string" || typeof options !== "object" || options === null) {
        return { ok: false, status: 401, reasonCode: "access_token_invalid", message: "The access token is invalid" };
      }
      const clientIp = typeof options.clientIp === "string" ? options.clientIp : null;
      const projectId = typeof options.projectId === "string" ? options.projectId : undefined;
      const token = accessToken.replace(/^Bearer\s+/i, "");
      const use = await useAccessToken(this.env, token, clientIp);
      const { claims, policy } = use;
      const projectRoles = projectId === undefined ? undefined : (policy.projectRoles[projectId] ?? []);
      return {
        ok: true,
        identityId: claims.sub,
        organizationId: policy.orgId,
        orgRole: policy.orgRole,
        ...(projectId === undefined ? {} : { projectId, projectRoles }),
        tokenId: claims.jti,
        authMethod: claims.auth_method,
        expiresAt: claims.exp,
        usesLeft: use.usesLeft,
        metadata: claims.metadata ?? {},
      };
    } catch (err) {
      if (err instanceof ApiError) {
        return { ok: false, status: err.status, reasonCode: err.reasonCode, message: err.message };
      }
      console.error(JSON.stringify({ event: "rpc_authenticate_failed", name: (err as Error)?.name ?? "Error" }));
      return { ok: false, status: 503, reasonCode: "unavailable", message: "Token validation is unavailable; retry" };
    }
  }
}
