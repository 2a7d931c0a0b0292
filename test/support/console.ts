// The admin console over its HTTP surface, as a browser would use it: fetch without following redirects,
// read cookies, sign in with the admin key.
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";

export const fetchConsole = (url: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(url, { redirect: "manual", ...init }));

export const cookieValue = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .filter((c) => c.startsWith(`${name}=`))
    .pop()
    ?.split(";")[0]!
    .slice(name.length + 1);

/** Submits the sign-in form on `origin` with `credential`, as a browser would (its pre-session cookie and CSRF token). */
export async function postSignIn(origin: string, credential: string, next?: string): Promise<Response> {
  const page = await fetchConsole(`${origin}/admin/sign-in`);
  const pre = page.headers.getSetCookie()[0]!.split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return fetchConsole(`${origin}/admin/sign-in`, {
    method: "POST",
    headers: { cookie: pre, "content-type": "application/x-www-form-urlencoded", origin },
    body: new URLSearchParams({ _csrf: csrf, credential, ...(next ? { next } : {}) }),
  });
}

/**
 * Signs in on `origin` with the admin key, or another credential (an org admin's access token); returns
 * the session cookie (name=value) and a CSRF token of its organizations' page.
 */
export async function signIn(origin: string, credential = env.ADMIN_API_KEY!) {
  const res = await postSignIn(origin, credential, "/admin/orgs");
  expect(res.status).toBe(303);
  const name = origin.startsWith("https:") ? "__Host-eoa_console" : "eoa_console";
  const cookie = `${name}=${cookieValue(res, name)}`;
  const orgs = await fetchConsole(`${origin}/admin/orgs`, { headers: { cookie } });
  // An org admin's organizations page may hold no form: its CSRF token is then "".
  const token = /name="_csrf" value="([^"]+)"/.exec(await orgs.text())?.[1] ?? "";
  return { res, cookie, csrf: token };
}
