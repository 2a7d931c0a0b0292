// `npm start [-- <wrangler dev args>]`: the service on embedded local state (D1, KV, Durable Objects under
// .wrangler/), with local migrations applied and a local-only admin key and signing key in .dev.vars.
// The admin key is random (the service refuses one shorter than 32 characters): generated on first start,
// and again if .dev.vars holds a short one (such as the fixed key earlier versions wrote).
import { spawnSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { generateSigningKeys } from "./signing-key.mjs";

/** The service's minimum (MIN_ADMIN_KEY_LENGTH in src/admin/admin-key.ts). */
const MIN_ADMIN_KEY_LENGTH = 32;
const newAdminKey = () => randomBytes(32).toString("base64url"); // 43 characters

const wrangler = new URL("../node_modules/.bin/wrangler", import.meta.url).pathname;
const devVars = new URL("../.dev.vars", import.meta.url).pathname;

function ensureDevVars() {
  let current = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
  const lines = [];
  const existing = /^ADMIN_API_KEY=(.*)$/m.exec(current)?.[1];
  if (existing !== undefined && existing.length < MIN_ADMIN_KEY_LENGTH) {
    console.log(`.dev.vars: ADMIN_API_KEY is shorter than ${MIN_ADMIN_KEY_LENGTH} characters; replacing it with a random one.`);
    current = current.replace(/^ADMIN_API_KEY=.*\n?/m, "");
  }
  if (existing === undefined || existing.length < MIN_ADMIN_KEY_LENGTH) lines.push(`ADMIN_API_KEY=${newAdminKey()}`);
  if (!/^SIGNING_KEYS=/m.test(current)) lines.push(`SIGNING_KEYS='${SIGNING_KEYS_PLACEHOLDER}'`);
  if (!/^ALLOW_INSECURE_ISSUERS=/m.test(current)) lines.push("ALLOW_INSECURE_ISSUERS=true");
  // Locally, every request gets its access line (a deployment samples successes, wrangler.toml).
  if (!/^ACCESS_LOG_SAMPLE_RATE=/m.test(current)) lines.push("ACCESS_LOG_SAMPLE_RATE=1");
  return { current, lines };
}
const SIGNING_KEYS_PLACEHOLDER = "__generate__";

const { current, lines } = ensureDevVars();
if (lines.length) {
  const text = lines.join("\n").replace(SIGNING_KEYS_PLACEHOLDER, await generateSigningKeys());
  writeFileSync(
    devVars,
    `${current}${current && !current.endsWith("\n") ? "\n" : ""}# Local development only (npm start).\n${text}\n`,
  );
}

// Wrangler prints its table of migrations once per migration applied (hundreds of lines on a first start,
// pushing the admin key out of sight): one summary line instead, and everything it said when it fails.
const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: ["ignore", "pipe", "pipe"],
  encoding: "utf8",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) {
  process.stdout.write(migrate.stdout ?? "");
  process.stderr.write(migrate.stderr ?? "");
  process.exit(migrate.status ?? 1);
}
const applied = new Set((migrate.stdout ?? "").match(/\b\d{4}_[\w-]+\.sql(?=\s*│\s*✅)/g) ?? []);
const names = [...applied].sort();
console.log(
  names.length ? `Local D1: applied ${names.length} migration(s), ${names[0]} to ${names.at(-1)}.` : "Local D1: up to date.",
);

const args = process.argv.slice(2);
const key = /^ADMIN_API_KEY=(.*)$/m.exec(readFileSync(devVars, "utf8"))?.[1];
const override = args.find((a) => a.startsWith("ADMIN_API_KEY:"));
console.log(`\nedge-oidc-auth (local): admin key ${override ? override.slice("ADMIN_API_KEY:".length) : key}\n`);
const dev = spawn(wrangler, ["dev", ...args], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));
