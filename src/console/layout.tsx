import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { html, raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { href, type ConsoleContext, type Viewer } from "./context";
import { CSRF_FIELD } from "./csrf";
import { CSS } from "./styles";
import { nowSeconds } from "../time/clock";

/** Per-request view state every page needs: the CSP nonce, the CSRF token, who is signed in. */
export interface Ui {
  nonce: string;
  csrf: string;
  viewer?: Viewer;
}

export const uiOf = (c: ConsoleContext): Ui => ({ nonce: c.var.nonce, csrf: c.var.csrf, viewer: c.var.viewer });

/** Messages after a successful POST (Post/Redirect/Get): fixed texts chosen by code, never reflected. */
const DONE: Record<string, string> = {
  "org-created": "Organization created.",
  "identity-created": "Machine identity created. Next: give it an authentication method.",
  "identity-updated": "Machine identity saved.",
  "identity-deleted": "Machine identity deleted; its access tokens stopped working.",
  "oidc-attached": "OIDC Auth is now this identity's authentication method.",
  "oidc-updated":
    "OIDC Auth configuration saved. Live tokens whose ID token it would now refuse stop working at their next use (binding_changed); the others keep working. A new issuer or key source ends them all.",
  "oidc-detached": "OIDC Auth removed; tokens issued under it stopped working.",
  "project-created": "Project created.",
  "member-added": "Identity added to the project.",
  "member-updated": "Project role changed.",
  "member-removed": "Identity removed from the project.",
  "token-revoked": "Access token revoked. Its next use is refused with token_revoked.",
  "tokens-revoked": "Every access token issued until now is revoked. Their next use is refused with token_revoked.",
};

export const Logo: FC<{ size?: number }> = ({ size = 22 }) => (
  <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true">
    <rect x="1" y="1" width="22" height="22" rx="6" fill="#2f5bd8" />
    <path
      d="M12 5.2l5 2v4.1c0 3.2-2.1 5.8-5 6.9-2.9-1.1-5-3.7-5-6.9V7.2z"
      fill="none"
      stroke="#fff"
      stroke-width="1.7"
      stroke-linejoin="round"
    />
    <path d="M9.6 11.9l1.7 1.7 3.2-3.4" fill="none" stroke="#fff" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" />
  </svg>
);

export interface PageProps {
  ui: Ui;
  title: string;
  /** [label, href] pairs, the last one is the current page (no link) */
  crumbs?: [string, string?][];
  heading?: Child;
  sub?: Child;
  actions?: Child;
  tabs?: { label: string; href: string; on?: boolean }[];
  done?: string | undefined;
  error?: string | undefined;
  nav?: "orgs";
  script?: string;
}

export const Layout: FC<PropsWithChildren<PageProps>> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>{p.title} · edge-oidc-auth console</title>
      <style nonce={p.ui.nonce}>{raw(CSS)}</style>
    </head>
    <body>
      <header class="top">
        <div class="top-inner">
          <a class="brand" href={href("")}>
            <Logo /> edge-oidc-auth <small>Admin console</small>
          </a>
          {p.ui.viewer && (
            <nav>
              <a href={href("/orgs")} class={p.nav === "orgs" ? "on" : ""}>
                Organizations
              </a>
            </nav>
          )}
          {p.ui.viewer && (
            <div class="who">
              <span>
                <span class="dot" />
                {p.ui.viewer.kind === "admin-key" ? "Signed in with the admin key" : `Signed in as ${p.ui.viewer.label}`}
              </span>
              {p.ui.viewer.kind === "admin-key" && <a href={href("/sessions")}>End all sessions</a>}
              <form method="post" action={href("/sign-out")}>
                <Csrf ui={p.ui} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          )}
        </div>
      </header>
      <main>
        {p.crumbs && p.crumbs.length > 0 && (
          <div class="crumbs">
            {p.crumbs.map(([label, link], i) => (
              <>
                {i > 0 && <span class="sep">/</span>}
                {link ? <a href={link}>{label}</a> : <span>{label}</span>}
              </>
            ))}
          </div>
        )}
        {p.heading !== undefined && (
          <div class="head">
            <div>
              <h1>{p.heading}</h1>
              {p.sub !== undefined && <div class="sub">{p.sub}</div>}
            </div>
            {p.actions}
          </div>
        )}
        {p.tabs && (
          <div class="tabs">
            {p.tabs.map((t) => (
              <a href={t.href} class={t.on ? "on" : ""} aria-current={t.on ? "page" : undefined}>
                {t.label}
              </a>
            ))}
          </div>
        )}
        {p.done && DONE[p.done] && (
          <div class="alert ok" role="status">
            {DONE[p.done]}
          </div>
        )}
        {p.error && (
          <div class="alert bad" role="alert">
            {p.error}
          </div>
        )}
        {p.children}
      </main>
      {p.script && <script nonce={p.ui.nonce}>{raw(p.script)}</script>}
    </body>
  </html>
);

export const Csrf: FC<{ ui: Ui }> = ({ ui }) => <input type="hidden" name={CSRF_FIELD} value={ui.csrf} />;

/** A POST form carrying the CSRF token. */
export const PostForm: FC<PropsWithChildren<{ ui: Ui; action: string; class?: string; id?: string }>> = (p) => (
  <form method="post" action={p.action} class={p.class} id={p.id}>
    <Csrf ui={p.ui} />
    {p.children}
  </form>
);

/** A form whose only content is its submit button: a one-click POST action (revoke, remove, delete). */
export const PostButton: FC<PropsWithChildren<{ ui: Ui; action: string; class: string }>> = (p) => (
  <PostForm ui={p.ui} action={p.action}>
    <button type="submit" class={p.class}>
      {p.children}
    </button>
  </PostForm>
);

export const Card: FC<
  PropsWithChildren<{ title?: Child; sub?: Child; actions?: Child; foot?: Child; flush?: boolean; id?: string }>
> = (p) => (
  <section class="card" id={p.id}>
    {p.title !== undefined && (
      <div class="card-head">
        <div>
          <h2>{p.title}</h2>
          {p.sub !== undefined && <p>{p.sub}</p>}
        </div>
        {p.actions}
      </div>
    )}
    {p.flush ? <div class="flush">{p.children}</div> : <div class="card-body">{p.children}</div>}
    {p.foot !== undefined && <div class="card-foot">{p.foot}</div>}
  </section>
);

/** A labelled form field with its help text and, when the service refused the value, the reason. */
export const Field: FC<
  PropsWithChildren<{ label: Child; for?: string; help?: Child; errors?: string[]; optional?: boolean; class?: string }>
> = (p) => (
  <div class={`field${p.errors && p.errors.length ? " invalid" : ""}${p.class ? ` ${p.class}` : ""}`}>
    <label for={p.for}>
      {p.label}
      {p.optional && <span class="opt">optional</span>}
    </label>
    {p.children}
    {p.errors?.map((e) => (
      <div class="err" id={p.for ? `${p.for}-error` : undefined}>
        {e}
      </div>
    ))}
    {p.help !== undefined && <div class="help">{p.help}</div>}
  </div>
);

/** A card with one POST form: its fields, then its submit button. */
export const FormCard: FC<PropsWithChildren<{ ui: Ui; title: string; action: string; submit: string }>> = (p) => (
  <Card title={p.title}>
    <PostForm ui={p.ui} action={p.action}>
      {p.children}
      <button type="submit" class="btn primary">
        {p.submit}
      </button>
    </PostForm>
  </Card>
);

/** The name of a new or renamed record. */
export const NameField: FC<{ id: string; value: string; errors?: string[]; help?: Child }> = (p) => (
  <Field label="Name" for={p.id} errors={p.errors} help={p.help}>
    <input type="text" id={p.id} name="name" value={p.value} required maxlength={64} />
  </Field>
);

/** The page that asks before a destructive POST: what it does, the button that does it, and a way back. */
export const ConfirmPage: FC<
  PropsWithChildren<{
    ui: Ui;
    title: string;
    crumbs: [string, string?][];
    heading: string;
    card: string;
    action: string;
    confirm: string;
    back: string;
  }>
> = (p) => (
  <Layout ui={p.ui} title={p.title} nav="orgs" crumbs={p.crumbs} heading={p.heading}>
    <Card
      title={p.card}
      foot={
        <>
          <PostButton ui={p.ui} action={p.action} class="btn danger">
            {p.confirm}
          </PostButton>
          <a class="btn" href={p.back}>
            Cancel
          </a>
        </>
      }
    >
      {p.children}
    </Card>
  </Layout>
);

export function render(c: ConsoleContext, status: ContentfulStatusCode, page: Child) {
  return c.html(html`<!DOCTYPE html>${page}`, status);
}

export const ROLE_BADGE: Record<string, string> = { admin: "blue", member: "", viewer: "", "no-access": "warn" };

export const RoleBadge: FC<{ role: string }> = ({ role }) => <span class={`badge ${ROLE_BADGE[role] ?? ""}`}>{role}</span>;

/** "2026-11-25 20:31 UTC" */
export function when(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return "";
  const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function whenSeconds(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** 3600 -> "1 h", 2592000 -> "30 d", 0 -> "no limit" */
export function duration(seconds: number): string {
  if (seconds === 0) return "no limit";
  const units: [number, string][] = [
    [86400, "d"],
    [3600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, name] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** "in 59 min" / "3 h ago" */
export function relative(epochSeconds: number): string {
  const delta = epochSeconds - nowSeconds();
  const text = duration(Math.abs(delta)) || "0 s";
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** "2026-11-25" */
export function day(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(0, 10);
}
