// `npm start [-- <wrangler dev args>]`: the service on embedded local state (D1, KV, Durable Objects under
// .wrangler/), with local migrations applied and a local-only admin key and signing key in .dev.vars.
import { spawnSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { generateSigningKeys } from "./signing-key.mjs";

export const LOCAL_ADMIN_KEY = "local-dev-admin-key";

const wrangler = new URL("../node_modules/.bin/wrangler", import.meta.url).pathname;
const devVars = new URL("../.dev.vars", import.meta.url).pathname;

function ensureDevVars() {
  const current = existsSync(devVars) ? readFileSync(devVars, "utf8") : "";
  const lines = [];
  if (!/^ADMIN_API_KEY=/m.test(current)) lines.push(`ADMIN_API_KEY=${LOCAL_ADMIN_KEY}`);
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

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const args = process.argv.slice(2);
const key = /^ADMIN_API_KEY=(.*)$/m.exec(readFileSync(devVars, "utf8"))?.[1];
const override = args.find((a) => a.startsWith("ADMIN_API_KEY:"));
console.log(`\nedge-oidc-auth (local): admin key ${override ? override.slice("ADMIN_API_KEY:".length) : key}\n`);
const dev = spawn(wrangler, ["dev", ...args], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));
