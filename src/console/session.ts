// Console sessions: a signed, short-lived cookie naming a session that exists on the server (a D1 row,
// src/storage/console.ts): signing out deletes the row, so a copied cookie stops working at once, and an
// admin can end every session. Sign-in takes the admin key or an org-admin identity's access token; an
// identity session carries its token (encrypted) and re-checks it on every request with a normal token
// use, so revocation, expiry, trusted IPs and role changes end the session at once.
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import type { Actor } from "../admin/actor";
import { Reason } from "../errors";
import { isAdminKey } from "../admin/admin-key";
import { useAccessToken } from "../tokens/use-token";
import { clientIp } from "../request-context";
import { BASE, href, type ConsoleContext, type ConsoleEnv, type Viewer } from "./context";
import { checkCsrf, csrfToken, readForm } from "./csrf";
import { consoleKeys, fromB64url, hmac, hmacVerify, randomId, seal, unseal, b64url, type ConsoleKeys } from "./keys";
import { createConsoleSession, endConsoleSession, isConsoleSessionLive } from "../storage/console";
import { refusal, refusalOf } from "./refusals";
import { nowSeconds } from "../time/clock";

/** Idle timeout: the cookie slides forward on every request, and dies after this long without one. */
export const SESSION_IDLE_SECONDS = 30 * 60;
/** Absolute limit, however active the session is: then sign in again. */
export const SESSION_MAX_SECONDS = 8 * 60 * 60;

export interface SessionPayload {
  v: 1;
  kind: "admin-key" | "identity";
  /** random session id; the CSRF token is derived from it */
  sid: string;
  /** signed in at, last seen at (epoch seconds) */
  iat: number;
  seen: number;
  /** identity sessions: the access token, AES-GCM sealed */
  tok?: string;
}

const now = nowSeconds;

/** http://localhost and http://127.0.0.1 (local development) get a cookie without Secure; anything else needs https. */
export function isLocalHttp(url: URL): boolean {
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

/** `__Host-` pins the cookie to this host and path / (needs Secure); local http uses a plain name on /admin. */
const cookieNames = (c: ConsoleContext) =>
  isLocalHttp(new URL(c.req.url))
    ? { session: "eoa_console", pre: "eoa_console_pre", secure: false, path: BASE }
    : { session: "__Host-eoa_console", pre: "__Host-eoa_console_pre", secure: true, path: "/" };

/** Browsers keep a cookie of at most about 4,096 bytes (RFC 6265 §6.1's minimum, and Chrome's limit). */
export const MAX_SESSION_COOKIE_LENGTH = 4096;

/**
 * `<payload>.<sealed token>.<mac>`: the sealed access token (already base64url) stays outside the
 * base64url-encoded JSON, so it is not encoded twice (4/3 of 4/3: a 2,200-character GitLab access token
 * made a 4,100-character cookie, which browsers drop).
 */
export async function encodeSession(keys: ConsoleKeys, payload: SessionPayload): Promise<string> {
  const { tok = "", ...rest } = payload;
  const body = b64url(new TextEncoder().encode(JSON.stringify(rest)));
  return `${body}.${tok}.${await hmac(keys.session, `session.${body}.${tok}`)}`;
}

export async function decodeSession(keys: ConsoleKeys, cookie: string | undefined): Promise<SessionPayload | null> {
  if (!cookie || cookie.length > MAX_SESSION_COOKIE_LENGTH) return null;
  const [body, tok, mac, extra] = cookie.split(".");
  if (!body || tok === undefined || !mac || extra !== undefined) return null;
  if (!(await hmacVerify(keys.session, `session.${body}.${tok}`, mac))) return null;
  try {
    const p = JSON.parse(new TextDecoder().decode(fromB64url(body) ?? new Uint8Array())) as SessionPayload;
    if (tok) p.tok = tok;
    if (p.v !== 1 || (p.kind !== "admin-key" && p.kind !== "identity") || typeof p.sid !== "string") return null;
    if (typeof p.iat !== "number" || typeof p.seen !== "number") return null;
    const t = now();
    if (t - p.seen > SESSION_IDLE_SECONDS || t - p.iat > SESSION_MAX_SECONDS || p.seen > t + 60) return null;
    if (p.kind === "identity" && typeof p.tok !== "string") return null;
    return p;
  } catch {
    return null;
  }
}

function writeSessionCookie(c: ConsoleContext, value: string) {
  const n = cookieNames(c);
  setCookie(c, n.session, value, {
    httpOnly: true,
    secure: n.secure,
    sameSite: "Strict",
    path: n.path,
    maxAge: SESSION_IDLE_SECONDS,
  });
}

export function clearSessionCookie(c: ConsoleContext) {
  const n = cookieNames(c);
  deleteCookie(c, n.session, { path: n.path, secure: n.secure, httpOnly: true, sameSite: "Strict" });
}

/** What a presented credential signs in as; throws a refusal (401/403) when it may not. */
export async function signInActor(
  c: ConsoleContext,
  credential: string,
): Promise<{ kind: "admin-key"; viewer: Viewer } | { kind: "identity"; viewer: Viewer; token: string }> {
  if (await isAdminKey(credential, c.env.ADMIN_API_KEY)) {
    return { kind: "admin-key", viewer: { kind: "admin-key", label: "Admin key" } };
  }
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential)) {
    const { viewer } = await identityActor(c, credential);
    return { kind: "identity", viewer, token: credential };
  }
  throw refusal(Reason.credentials_invalid, "This is neither the admin key nor a valid access token");
}

/**
 * One use of an org-admin identity's access token, as the admin API makes it (src/http/admin-auth.ts):
 * signature, expiry, revocation, trusted IPs and uses are checked by the identity's Durable Object, and
 * the identity's organization role must be admin.
 */
async function identityActor(c: ConsoleContext, token: string): Promise<{ actor: Actor; viewer: Viewer }> {
  const use = await useAccessToken(c.env, token, clientIp(c));
  if (use.policy.orgRole !== "admin") {
    throw refusal(Reason.insufficient_role, "Only identities with the organization role 'admin' may use the console");
  }
  return {
    actor: { kind: "identity", identityId: use.claims.sub, orgId: use.policy.orgId, tokenId: use.claims.jti },
    viewer: { kind: "identity", label: `${use.policy.identity.name} (${use.policy.organization.name})`, orgId: use.policy.orgId },
  };
}

/** Starts a session after a successful sign-in. */
export async function startSession(
  c: ConsoleContext,
  who: { kind: "admin-key" } | { kind: "identity"; token: string },
): Promise<void> {
  const keys = await consoleKeys(c.env);
  const t = now();
  const payload: SessionPayload = { v: 1, kind: who.kind, sid: randomId(), iat: t, seen: t };
  if (who.kind === "identity") payload.tok = await seal(keys.token, who.token);
  const cookie = await encodeSession(keys, payload);
  // A cookie the browser would drop is a sign-in that silently fails on the next page: say so now.
  if (cookie.length > MAX_SESSION_COOKIE_LENGTH) {
    throw refusal(
      Reason.token_too_large,
      "This access token is too large to keep in a console session cookie (its claim snapshot is large): sign in with the admin key",
    );
  }
  await createConsoleSession(c.env.DB, { id: payload.sid, kind: who.kind, createdAt: t, expiresAt: t + SESSION_MAX_SECONDS });
  writeSessionCookie(c, cookie);
  deleteCookie(c, cookieNames(c).pre, { path: cookieNames(c).path, secure: cookieNames(c).secure });
}

/** A same-site path under the console to go back to after sign-in (never another origin). */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith(`${BASE}/`) || next.startsWith("//") || /[\\\r\n]/.test(next)) return href("");
  return next;
}

const signInRedirect = (c: ConsoleContext, reason?: string) => {
  const next = c.req.method === "GET" ? new URL(c.req.url).pathname + new URL(c.req.url).search : undefined;
  const q = new URLSearchParams();
  if (next && next !== href("/") && next !== href("")) q.set("next", next);
  if (reason) q.set("ended", reason);
  const qs = q.toString();
  return c.redirect(href(`/sign-in${qs ? `?${qs}` : ""}`), 303);
};

/**
 * Every console page except sign-in: a valid session (else to the sign-in page), the actor it stands for,
 * the sliding cookie, and for POSTs the form, read once and CSRF-checked.
 */
export const requireSession: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const keys = await consoleKeys(c.env).catch(() => null);
  if (!keys) return signInRedirect(c); // the sign-in page says why the console is closed
  const session = await decodeSession(keys, getCookie(c, cookieNames(c).session));
  if (!session) {
    clearSessionCookie(c);
    return signInRedirect(c, getCookie(c, cookieNames(c).session) ? "expired" : undefined);
  }
  // Signed out, ended by an admin, or never started here: the cookie alone is not a session.
  if (!(await isConsoleSessionLive(c.env.DB, session.sid, now()))) {
    clearSessionCookie(c);
    return signInRedirect(c, "ended");
  }
  c.set("sessionId", session.sid);
  if (session.kind === "admin-key") {
    c.set("actor", { kind: "admin-key" });
    c.set("viewer", { kind: "admin-key", label: "Admin key" });
  } else {
    const token = await unseal(keys.token, session.tok!);
    if (!token) return signInRedirect(c, "expired");
    try {
      const { actor, viewer } = await identityActor(c, token);
      c.set("actor", actor);
      c.set("viewer", viewer);
    } catch (err) {
      const refused = refusalOf(err);
      if (refused && !refused.outage) {
        // The token no longer admits this identity: the session is over on the server too (a copy of the
        // cookie is not live, and ending every session does not count it). Best effort: the token stays
        // refused either way.
        await endConsoleSession(c.env.DB, session.sid).catch(() => {});
        clearSessionCookie(c);
        return signInRedirect(c, refused.reasonCode);
      }
      throw err;
    }
  }
  c.set("csrf", await csrfToken(keys, `session:${session.sid}`));
  if (c.req.method === "POST") {
    const form = await readForm(c);
    await checkCsrf(c, keys, `session:${session.sid}`, form);
    c.set("form", form);
  }
  // Sliding expiry: each request moves the idle deadline (sign-out clears the cookie itself).
  writeSessionCookie(c, await encodeSession(keys, { ...session, seen: now() }));
  await next();
};

/** Ends this request's session on the server and clears its cookie (sign-out). */
export async function endSession(c: ConsoleContext): Promise<void> {
  await endConsoleSession(c.env.DB, c.var.sessionId);
  clearSessionCookie(c);
}

/** A pre-session cookie is good for this long (its Max-Age too). */
const PRE_SESSION_SECONDS = 3600;

/**
 * The pre-session cookie's value: a random nonce, when it was issued, and a MAC of both, so only values
 * this server issued (and not older than an hour) count. Returns the nonce of a valid value, else null.
 */
async function preSessionNonce(keys: ConsoleKeys, value: string | undefined): Promise<string | null> {
  const [nonce, issued, mac, extra] = (value ?? "").split(".");
  if (!nonce || !issued || !mac || extra !== undefined || !/^[A-Za-z0-9_-]{24}$/.test(nonce) || !/^\d{1,12}$/.test(issued))
    return null;
  const age = now() - Number(issued);
  if (age < -60 || age > PRE_SESSION_SECONDS) return null;
  return (await hmacVerify(keys.session, `pre.${nonce}.${issued}`, mac)) ? nonce : null;
}

/**
 * The sign-in form's CSRF token (login CSRF), bound to the pre-session cookie: a value the server issued
 * is kept, anything else (absent, expired, or chosen by the client) is replaced by a fresh one. Throws
 * when the console is closed (no admin key, a weak one, D1 unavailable).
 */
export async function preSessionCsrf(c: ConsoleContext): Promise<string> {
  const keys = await consoleKeys(c.env);
  const n = cookieNames(c);
  let nonce = await preSessionNonce(keys, getCookie(c, n.pre));
  if (!nonce) {
    nonce = randomId();
    const issued = String(now());
    const value = `${nonce}.${issued}.${await hmac(keys.session, `pre.${nonce}.${issued}`)}`;
    setCookie(c, n.pre, value, { httpOnly: true, secure: n.secure, sameSite: "Strict", path: n.path, maxAge: PRE_SESSION_SECONDS });
  }
  return csrfToken(keys, `pre:${nonce}`);
}

/** Checks the sign-in form's CSRF token against a pre-session cookie this server issued. Returns the form. */
export async function checkPreSessionCsrf(c: ConsoleContext): Promise<URLSearchParams> {
  const keys = await consoleKeys(c.env);
  const form = await readForm(c);
  const nonce = await preSessionNonce(keys, getCookie(c, cookieNames(c).pre));
  await checkCsrf(c, keys, `pre:${nonce ?? "none"}`, form);
  return form;
}
