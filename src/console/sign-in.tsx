import { Hono } from "../hono";
import { Reason } from "../errors";
import { href, type ConsoleContext, type ConsoleEnv } from "./context";
import { Card, Field, Layout, Logo, render, type Ui } from "./layout";
import { refusal, refusalOf, type Refusal } from "./refusals";
import {
  checkPreSessionCsrf,
  clearSessionCookie,
  isLocalHttp,
  preSessionCsrf,
  safeNext,
  signInActor,
  startSession,
  SESSION_IDLE_SECONDS,
} from "./session";

/** Why a session ended, shown on the sign-in page (fixed texts by code). */
const ENDED: Record<string, string> = {
  "signed-out": "You are signed out.",
  "all-ended": "Every console session was ended, yours included.",
  ended: "Your session was ended: signed out elsewhere, or an admin ended every console session. Sign in again.",
  expired: "Your session expired. Sign in again.",
  token_revoked: "Your session ended: the access token was revoked.",
  access_token_expired: "Your session ended: the access token expired.",
  token_max_ttl_reached: "Your session ended: the access token reached its max TTL.",
  token_uses_exhausted: "Your session ended: the access token has no uses left.",
  ip_not_trusted: "Your session ended: this address is not in the identity's trusted IPs.",
  insufficient_role: "Your session ended: the identity is no longer an organization admin.",
  identity_not_found: "Your session ended: the identity was deleted.",
  auth_method_removed: "Your session ended: the identity's OIDC Auth configuration was removed.",
};

const SignInPage = (p: { ui: Ui; next: string; error?: string; ended?: string; closed?: string; insecure?: boolean }) => (
  <Layout ui={p.ui} title="Sign in">
    <div class="signin">
      <div class="brand-big">
        <Logo size={28} />
        Sign in to the admin console
      </div>
      {p.ended && ENDED[p.ended] && <div class={`alert ${p.ended === "signed-out" ? "info" : "warn"}`}>{ENDED[p.ended]}</div>}
      {p.error && (
        <div class="alert bad" role="alert">
          {p.error}
        </div>
      )}
      {p.insecure && (
        <div class="alert warn">
          This page is served over plain http on a host that is not localhost: the browser will not keep the session cookie. Use https.
        </div>
      )}
      {p.closed ? (
        <Card>
          <p>{p.closed}</p>
        </Card>
      ) : (
        <Card>
          <form method="post" action={href("/sign-in")}>
            <input type="hidden" name="_csrf" value={p.ui.csrf} />
            <input type="hidden" name="next" value={p.next} />
            <Field
              label="Admin key or access token"
              for="credential"
              help={
                <>
                  The deployment's <code>ADMIN_API_KEY</code>, or the access token of a machine identity whose organization role is{" "}
                  <strong>admin</strong> (the console is then limited to its organization, and each page is one use of the token).
                  Sessions end after {SESSION_IDLE_SECONDS / 60} minutes without activity.
                </>
              }
            >
              <input type="password" id="credential" name="credential" autocomplete="current-password" required autofocus />
            </Field>
            <button type="submit" class="btn primary block">
              Sign in
            </button>
          </form>
        </Card>
      )}
    </div>
  </Layout>
);

async function showSignIn(c: ConsoleContext, status: 200 | 401 | 403 | 429, extra: { error?: string; next?: string } = {}) {
  // Closed (no admin key, a weak one, D1 unavailable): the page says why, and offers no form.
  let csrf = "";
  let closed: Refusal | null = null;
  try {
    csrf = await preSessionCsrf(c);
  } catch (err) {
    closed = refusalOf(err);
    if (!closed?.outage) throw err;
  }
  const url = new URL(c.req.url);
  const insecure = url.protocol === "http:" && !isLocalHttp(url);
  for (const [k, v] of Object.entries(closed?.headers ?? {})) c.header(k, v);
  return render(
    c,
    closed ? closed.status : status,
    <SignInPage
      ui={{ nonce: c.var.nonce, csrf }}
      next={safeNext(extra.next ?? c.req.query("next"))}
      error={extra.error}
      ended={c.req.query("ended")}
      closed={closed ? `${closed.message} (${closed.reasonCode})` : undefined}
      insecure={insecure}
    />,
  );
}

export const signInRoutes = new Hono<ConsoleEnv>()
  .get("/sign-in", (c) => showSignIn(c, 200))
  .post("/sign-in", async (c) => {
    const form = await checkPreSessionCsrf(c);
    const credential = (form.get("credential") ?? "").trim();
    const next = form.get("next") ?? undefined;
    try {
      if (!credential) throw refusal(Reason.credentials_missing, "Enter the admin key or an access token");
      // One admin authentication of this address: limited and audited like the API's (src/request-context.ts).
      const attempt = c.var.adminAuthAttempt ?? ((authenticate) => authenticate());
      const who = await attempt(() => signInActor(c, credential));
      clearSessionCookie(c);
      await startSession(c, who.kind === "admin-key" ? { kind: "admin-key" } : { kind: "identity", token: who.token });
      const target =
        who.kind === "identity" && safeNext(next) === href("") ? href(`/orgs/${who.viewer.orgId}/identities`) : safeNext(next);
      return c.redirect(target, 303);
    } catch (err) {
      const refused = refusalOf(err);
      if (refused && (refused.status === 401 || refused.status === 403 || refused.status === 429)) {
        for (const [k, v] of Object.entries(refused.headers)) c.header(k, v);
        c.error = err as Error; // the access log's reasonCode, as for a refusal thrown to the error page
        return showSignIn(c, refused.status, { error: `${refused.message} (${refused.reasonCode})`, next });
      }
      throw err;
    }
  });
