// CSRF protection of every console form: a synchronizer token (HMAC of the session id with a key derived
// from ADMIN_API_KEY) in a hidden field, checked on every POST, plus Origin / Sec-Fetch-Site when the
// browser sends them. SameSite=Strict on the session cookie is a third, independent layer.
import { Reason } from "../errors";
import type { ConsoleContext } from "./context";
import { hmac, hmacVerify, type ConsoleKeys } from "./keys";
import { refusal } from "./refusals";

export const CSRF_FIELD = "_csrf";
/** Console forms are small; the OIDC form with a CA certificate and a JWKS is the largest. */
export const MAX_FORM_BYTES = 256 * 1024;

export const csrfToken = (keys: ConsoleKeys, binding: string) => hmac(keys.csrf, `csrf.${binding}`);

const csrfFailed = () =>
  refusal(Reason.csrf_failed, "The form is stale or did not come from this console; reload the page and try again");

export async function checkCsrf(c: ConsoleContext, keys: ConsoleKeys, binding: string, form: URLSearchParams): Promise<void> {
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) throw csrfFailed();
  const site = c.req.header("sec-fetch-site");
  if (origin === undefined && site !== undefined && site !== "same-origin" && site !== "none") throw csrfFailed();
  const presented = form.get(CSRF_FIELD) ?? "";
  if (!(await hmacVerify(keys.csrf, `csrf.${binding}`, presented))) throw csrfFailed();
}

/** An application/x-www-form-urlencoded body, bounded in size. */
export async function readForm(c: ConsoleContext): Promise<URLSearchParams> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw refusal(Reason.unsupported_media_type, "Console forms are sent as application/x-www-form-urlencoded");
  }
  const tooLarge = () => refusal(Reason.body_too_large, `The form exceeds ${MAX_FORM_BYTES} bytes`);
  if (Number(c.req.header("content-length") ?? "0") > MAX_FORM_BYTES) throw tooLarge();
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > MAX_FORM_BYTES) throw tooLarge();
  return new URLSearchParams(new TextDecoder().decode(buf));
}
