// The admin console: server-rendered pages (hono/jsx) over the same admin services as the API.
// Mounted at /admin by src/http/app.ts. No build step, no external assets; works without JavaScript.
import type { MiddlewareHandler } from "hono";
import { Hono } from "../hono";
import { errorName, log } from "../observability/log";
import { auditRoutes } from "./audit";
import { href, type ConsoleContext, type ConsoleEnv } from "./context";
import { identityRoutes } from "./identities";
import { Card, Layout, render, uiOf } from "./layout";
import { oidcAuthRoutes } from "./oidc-auth/routes";
import { organizationRoutes } from "./organizations";
import { projectRoutes } from "./projects";
import { randomId } from "./keys";
import { Reason } from "../errors";
import { refusalOf } from "./refusals";
import { endSession, requireSession } from "./session";
import { sessionRoutes } from "./sessions";
import { signInRoutes } from "./sign-in";
import { tokenRoutes } from "./tokens";
import { trafficRoutes } from "./traffic";

/** Strict headers on every console response: inline style and script only with this response's nonce. */
const securityHeaders: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const nonce = randomId(16);
  c.set("nonce", nonce);
  await next();
  const h = c.res.headers;
  h.set(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; ` +
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  h.set("X-Frame-Options", "DENY");
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "same-origin");
  h.set("Cache-Control", "no-store");
  h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
};

const ErrorPage = (p: { c: Parameters<typeof uiOf>[0]; status: number; title: string; message: string; code?: string }) => (
  <Layout ui={{ ...uiOf(p.c), csrf: p.c.var.csrf ?? "" }} title={p.title} heading={p.title}>
    <Card>
      <p>{p.message}</p>
      {p.code && (
        <p class="muted small">
          Reason code <code>{p.code}</code> · request <code>{p.c.var.reqId}</code>
        </p>
      )}
      <p>
        <a href={href("")}>Back to the console</a>
      </p>
    </Card>
  </Layout>
);

export const consoleRoutes = new Hono<ConsoleEnv>();

consoleRoutes.use("*", securityHeaders);
// Before the session check: signing in.
consoleRoutes.route("/", signInRoutes);
// Everything below needs a session (and, for POSTs, a valid CSRF token).
consoleRoutes.use("*", requireSession);
consoleRoutes.post("/sign-out", async (c) => {
  await endSession(c); // the session's row goes: a copy of the cookie stops working too
  return c.redirect(href("/sign-in?ended=signed-out"), 303);
});
const home = (c: ConsoleContext) => {
  const viewer = c.var.viewer;
  return c.redirect(viewer.kind === "identity" ? href(`/orgs/${viewer.orgId}/identities`) : href("/orgs"), 303);
};
consoleRoutes.get("/", home);
consoleRoutes.route("/", organizationRoutes);
consoleRoutes.route("/", identityRoutes);
consoleRoutes.route("/", oidcAuthRoutes);
consoleRoutes.route("/", tokenRoutes);
consoleRoutes.route("/", projectRoutes);
consoleRoutes.route("/", trafficRoutes);
consoleRoutes.route("/", auditRoutes);
consoleRoutes.route("/", sessionRoutes);

consoleRoutes.all("*", (c) =>
  c.req.method === "GET" && c.req.path === href("/")
    ? home(c)
    : render(c, 404, <ErrorPage c={c} status={404} title="Page not found" message="There is no console page at this address." />),
);

consoleRoutes.onError((err, c) => {
  const refused = refusalOf(err);
  if (refused) {
    for (const [k, v] of Object.entries(refused.headers)) c.header(k, v);
    const { status, title, message, reasonCode } = refused;
    return render(c, status, <ErrorPage c={c} status={status} title={title} message={message} code={reasonCode} />);
  }
  // Unexpected: log the kind only (an error may carry a pasted token), answer without internals.
  log("error", "console_unhandled_error", { name: errorName(err) });
  return render(
    c,
    500,
    <ErrorPage c={c} status={500} title="Something went wrong" message="Internal error." code={Reason.internal_error} />,
  );
});
