import { canonicalId } from "../storage/ids";
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "../env";
import { isIpAddress } from "../net/ip-ranges";
import { errorName, log, withRequestId } from "../observability/log";
import { useAccessToken } from "../tokens/use-token";
import type { AuthenticateFailure, AuthenticateOptions, AuthenticateResult } from "./types";
import { DomainError, Reason } from "../errors";
import { rpcFailure, rpcRefusal } from "./failure";

/** Longest project id we look up; longer is a caller bug, refused before the token is used. */
const MAX_PROJECT_ID_LENGTH = 128;
/** Longest client address accepted (an IPv6 address is at most 45 characters). */
const MAX_CLIENT_IP_LENGTH = 64;

/**
 * Token validation for downstream Workers over a service binding:
 *   services = [{ binding = "AUTH", service = "edge-oidc-auth", entrypoint = "AuthService" }]
 * A call is a use of the token and applies every rule the HTTP API applies. It never throws for a bad
 * token or bad arguments: it answers a refusal, so a consumer cannot fail open by forgetting a catch.
 * Arguments of the wrong shape are refused (400 invalid_arguments) before the token is used, so a
 * consumer bug never consumes a use or passes a trusted-IP check by accident. A caller-supplied key is
 * looked up among own properties only: `projectId: "__proto__"` or `"constructor"` is a project like any
 * other, of which the identity is not a member.
 */
export class AuthService extends WorkerEntrypoint<Env> {
  async authenticate(accessToken: unknown, options?: unknown): Promise<AuthenticateResult> {
    // A request id for the log lines this call may write (RPC calls have no HTTP request id), made only if
    // it writes one: most calls write none.
    return withRequestId(newRpcRequestId, () => this.#authenticate(accessToken, options));
  }

  async #authenticate(accessToken: unknown, options: unknown): Promise<AuthenticateResult> {
    try {
      if (accessToken !== undefined && accessToken !== null && typeof accessToken !== "string") {
        return rpcRefusal(Reason.access_token_invalid);
      }
      // The raw token or the whole Authorization header value.
      const token = (accessToken ?? "").trim().replace(/^Bearer(?:\s+|$)/i, "");
      if (token === "") return rpcRefusal(Reason.credentials_missing, "No access token was given");
      const parsed = parseOptions(options);
      if (!parsed.ok) return parsed;
      const { clientIp, projectId } = parsed;
      const use = await useAccessToken(this.env, token, clientIp);
      const { claims, policy } = use;
      return {
        ok: true,
        identityId: claims.sub,
        organizationId: policy.orgId,
        orgRole: policy.orgRole,
        ...(projectId === undefined ? {} : { projectId, projectRoles: rolesInProject(policy.projectRoles, projectId) }),
        tokenId: claims.jti,
        authMethod: claims.auth_method,
        expiresAt: claims.exp,
        usesLeft: use.usesLeft,
        metadata: claims.metadata ?? {},
      };
    } catch (err) {
      if (err instanceof DomainError) return rpcFailure(err);
      log("error", "rpc_authenticate_failed", { name: errorName(err) });
      return rpcRefusal(Reason.unavailable, "Token validation is unavailable; retry");
    }
  }
}

const newRpcRequestId = () => `rpc-${crypto.randomUUID()}`;

/** The identity's roles in a project; none when it is not a member (own properties only: never a prototype's). */
function rolesInProject(projectRoles: Record<string, string[]>, projectId: string): string[] {
  const roles = Object.hasOwn(projectRoles, projectId) ? projectRoles[projectId] : undefined;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === "string") : [];
}

/** `{ clientIp: string | null, projectId?: string }`; omitted options mean "no client IP known". */
function parseOptions(options: unknown): { ok: true; clientIp: string | null; projectId: string | undefined } | AuthenticateFailure {
  const invalid = (message: string) => rpcRefusal(Reason.invalid_arguments, message);
  if (options === undefined || options === null) return { ok: true, clientIp: null, projectId: undefined };
  if (typeof options !== "object" || Array.isArray(options)) {
    return invalid("authenticate(accessToken, options): options must be an object { clientIp, projectId? }");
  }
  const { clientIp, projectId } = options as Partial<Record<keyof AuthenticateOptions, unknown>>;
  if (
    clientIp !== undefined &&
    clientIp !== null &&
    (typeof clientIp !== "string" || (clientIp !== "" && (clientIp.length > MAX_CLIENT_IP_LENGTH || !isIpAddress(clientIp))))
  ) {
    return invalid("options.clientIp must be an IP address (the CF-Connecting-IP header) or null");
  }
  if (projectId !== undefined && (typeof projectId !== "string" || projectId === "" || projectId.length > MAX_PROJECT_ID_LENGTH)) {
    return invalid("options.projectId must be a non-empty string when given");
  }
  return { ok: true, clientIp: clientIp || null, projectId: projectId === undefined ? undefined : canonicalId(projectId) };
}
