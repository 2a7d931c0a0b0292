import { Hono } from "../hono";
import { consoleRoutes } from "../console";
import { errorName, log } from "../observability/log";
import type { AppEnv } from "../request-context";
import { adminAuthAttempt } from "./admin-auth";
import { HttpRefusal, refusalResponse } from "./errors";
import { allowedMethods } from "./method-not-allowed";
import { oauthErrorResponse } from "./oauth-errors";
import { noStore } from "./cache-headers";
import { pathWithLowerCaseIds } from "./path-ids";
import { reportIgnoredKeys } from "./ignored-keys";
import { requestLog } from "./request-log";
import { apiDocsRoutes } from "./routes/api-docs";
import { auditLogRoutes } from "./routes/audit-logs";
import { consoleSessionRoutes } from "./routes/console-sessions";
import { identityAdminRoutes } from "./routes/identities";
import { loginRoutes } from "./routes/login";
import { oauthRoutes } from "./routes/oauth";
import { oidcConfigRoutes } from "./routes/oidc-config";
import { organizationRoutes } from "./routes/organizations";
import { projectRoutes } from "./routes/projects";
import { serviceRoutes } from "./routes/service";
import { tokenDetailsRoutes } from "./routes/token-details";
import { tokenLifecycleRoutes } from "./routes/token-lifecycle";
import { trafficRoutes } from "./routes/traffic";
import { wellKnownRoutes } from "./routes/well-known";
import { DomainError, Reason } from "../errors";

export function createApp() {
  // Ids in paths are matched in any letter case, as Infisical's are (src/http/path-ids.ts).
  const app = new Hono<AppEnv>({ getPath: pathWithLowerCaseIds });

  // Request id, request context for logs, one access log line per request (src/http/request-log.ts).
  app.use(requestLog);
  // Cache-Control: no-store on every answer whose route did not choose otherwise (src/http/cache-headers.ts).
  app.use(noStore);
  // Members of an admin body that were ignored, said in the answer's `warnings` (src/http/ignored-keys.ts).
  app.use(reportIgnoredKeys);

  // GET / and GET /api/status.
  app.route("/", serviceRoutes);

  // Public: login, token lifecycle, token details. Then the admin API (each route module guards itself).
  app.route("/", loginRoutes);
  app.route("/", tokenLifecycleRoutes);
  app.route("/", tokenDetailsRoutes);
  app.route("/", wellKnownRoutes);
  // OAuth 2.0: token exchange, metadata, introspection, revocation (RFC 8693, 8414, 7662, 7009).
  app.route("/", oauthRoutes);
  app.route("/", organizationRoutes);
  app.route("/", identityAdminRoutes);
  app.route("/", oidcConfigRoutes);
  app.route("/", projectRoutes);
  app.route("/", auditLogRoutes);
  app.route("/", consoleSessionRoutes);
  app.route("/", trafficRoutes);
  // GET /openapi.json and GET /docs (src/http/openapi/).
  app.route("/", apiDocsRoutes);

  // The admin console: server-rendered pages over the same admin services (src/console/). Its sign-in is
  // an admin authentication like the API's: limited and audited per client address (src/http/admin-auth.ts).
  app.use("/admin/*", async (c, next) => {
    c.set("adminAuthAttempt", (authenticate) => adminAuthAttempt(c, authenticate));
    await next();
  });
  app.route("/admin", consoleRoutes);

  // A path some route answers, with another method: 405 and the methods it takes (RFC 9110 §15.5.6).
  app.notFound((c) => {
    const allowed = allowedMethods(app as unknown as Hono<never>, c.req.method, c.req.path);
    if (allowed.length === 0) return refusalResponse(c, new DomainError(Reason.route_not_found));
    const refusal = new DomainError(Reason.method_not_allowed, `This endpoint takes ${allowed.join(", ")}`);
    const answer = new HttpRefusal(refusal, { Allow: allowed.join(", ") });
    // The OAuth endpoints answer in RFC 6749's error shape, this refusal too (docs/errors.md).
    if (c.req.path.startsWith("/oauth/")) return oauthErrorResponse(c, answer, "token");
    return refusalResponse(c, answer);
  });

  app.onError((err, c) => {
    if (err instanceof DomainError || err instanceof HttpRefusal) return refusalResponse(c, err);
    // Unexpected: log the kind only (errors may carry token payloads), answer without internals.
    log("error", "unhandled_error", { name: errorName(err) });
    return refusalResponse(c, new DomainError(Reason.internal_error));
  });

  return app;
}
