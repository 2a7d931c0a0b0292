// The stack the browser tests drive, all on 127.0.0.1: the Worker as it deploys (bundled by wrangler,
// run by workerd through Miniflare, in-memory D1/KV/Durable Objects), the local test IdP, and Debian's
// Chromium through playwright-core.
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { applyMigrations, buildWorker, builtWorkerOptions, wranglerMiniflare } from "../../scripts/built-worker.mjs";
import { generateSigningKeys } from "../../scripts/signing-key.mjs";
import { startIdpServer, type IdpServer } from "../support/idp-server";

export const ROOT = new URL("../../", (import.meta as unknown as { url: string }).url).pathname;
export const ADMIN_KEY = "browser-test-admin-key-0123456789abcdef";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The address the CI job (Node) logs in and uses tokens from; Cloudflare would set this header. */
export const RUNNER_IP = "203.0.113.10";
/** The admin's browser, likewise. */
export const ADMIN_IP = "198.51.100.20";

/** Where screenshots go: test-results/ by default, docs/screenshots when refreshing the README's images. */
export const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR
  ? new URL(process.env.SCREENSHOTS_DIR.replace(/\/?$/, "/"), `file://${ROOT}`).pathname
  : `${ROOT}test-results/screenshots/`;

export interface Stack {
  url: string;
  idp: IdpServer;
  browser: Browser;
  /** The Worker's D1 database, for seeding what the API cannot write (audit events of past days). */
  db: D1Database;
  /** A fresh browser context (cookies, JS on or off) on the console. */
  newContext(opts?: { javaScriptEnabled?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startStack(name: string): Promise<Stack> {
  const configPath = `${ROOT}wrangler.toml`;
  const scriptPath = buildWorker(configPath, `${ROOT}.wrangler/test-build/browser-${name}`);
  const idp = await startIdpServer(0);
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = wranglerMiniflare();
  const worker = builtWorkerOptions({
    configPath,
    scriptPath,
    name: "edge-oidc-auth",
    bindings: { ADMIN_API_KEY: ADMIN_KEY, SIGNING_KEYS: await generateSigningKeys(), ALLOW_INSECURE_ISSUERS: "true" },
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new Log(LogLevel.WARN),
      cf: false, // no request.cf download: loopback only
      workers: [worker],
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const db = (await mf.getD1Database("DB", "edge-oidc-auth")) as D1Database;
  await applyMigrations(db, `${ROOT}migrations`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    url,
    idp,
    browser,
    db,
    newContext: (opts = {}) =>
      browser.newContext({
        baseURL: url,
        viewport: { width: 1280, height: 900 },
        javaScriptEnabled: opts.javaScriptEnabled ?? true,
        extraHTTPHeaders: { "cf-connecting-ip": ADMIN_IP },
      }),
    async close() {
      await browser.close().catch(() => {});
      await mf.dispose().catch(() => {});
      await idp.close().catch(() => {});
    },
  };
}

/** Clicks something that submits a form or follows a link, and waits for the next page to load. */
export async function clickAndLoad(page: Page, target: Locator): Promise<void> {
  await Promise.all([page.waitForEvent("load"), target.click()]);
}

export async function signIn(page: Page, credential = ADMIN_KEY): Promise<void> {
  await page.goto("/admin");
  await page.getByLabel("Admin key or access token").fill(credential);
  await clickAndLoad(page, page.getByRole("button", { name: "Sign in" }));
}

export async function screenshot(target: Page | Locator, name: string, fullPage = true): Promise<void> {
  const path = `${SCREENSHOTS_DIR}${name}.png`;
  if ("goto" in target) await target.screenshot({ path, fullPage });
  else await target.screenshot({ path });
}

/** An ID token from the local IdP's tenant (what GitLab would hand a CI job). */
export async function mint(idp: IdpServer, tenant: string, claims: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${idp.url}/t/${tenant}/_control/mint`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ claims, expiresIn: 600 }),
  });
  if (!res.ok) throw new Error(`mint: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** A call to the service's API from Node, as a CI job or an admin script would make it. */
export async function api(
  stack: Stack,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "cf-connecting-ip": RUNNER_IP };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** GitLab-shaped claims for the seed's pipeline (test/support/idp.ts has the same for workerd tests). */
export const gitlabClaims = (overrides: Record<string, unknown> = {}) => ({
  sub: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  aud: "https://edge-oidc-auth.example",
  namespace_path: "mygroup",
  project_id: "1234",
  project_path: "mygroup/myproject",
  ref: "main",
  ref_type: "branch",
  ref_protected: "true",
  pipeline_source: "push",
  ...overrides,
});
