// The figures of docs/architecture.md, "Audit tiers" (and the capacity model's inputs): what one login
// costs D1 (its one row, indexes included) and the R2 archive (gzipped NDJSON), for GitLab-shaped tokens
// whose claim snapshot varies as real jobs' do (project, user, branch, job and pipeline ids, sha, times, jti,
// client address).
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { runMaintenance } from "../../src/maintenance";
import { recordRenewedToken } from "../../src/storage/access-tokens";
import { flushAudit, recordLogin } from "../../src/storage/audit-log";
import { nowMs, nowSeconds } from "../support/clock";
import { scenario } from "../support/scenario";

const N = 3_000;
const DAY_MS = 86_400_000;

const dbSize = async () => (await env.DB.prepare("SELECT 1").run()).meta.size_after as number;
const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

it("a login costs about 1.6 kB in D1 (its one row, indexes included) and under 0.2 kB in R2", { timeout: 120_000 }, async () => {
  const s = await scenario();
  await s.login();
  await flushAudit(env.DB);
  const real = await env.DB.prepare("SELECT details, client_ip FROM audit_logs WHERE identity_id = ? AND event = 'login'")
    .bind(s.identity.id)
    .first<{ details: string }>();
  const { claims } = JSON.parse(real!.details) as { claims: Record<string, unknown> };

  const queued: Promise<unknown>[] = [];
  const login = (i: number, orgId: string) => {
    const sha = hex(20);
    const iat = nowSeconds() - N + i;
    // 50 projects, 200 users, 30 branches of one organization: what a day's part of one organization mixes.
    const project = `mygroup/project-${i % 50}`;
    const ref = `feature-${i % 30}`;
    const snapshot = {
      ...claims,
      sub: `project_path:${project}:ref_type:branch:ref:${ref}`,
      project_path: project,
      job_project_path: project,
      project_id: String(1000 + (i % 50)),
      job_project_id: String(1000 + (i % 50)),
      ref,
      ref_path: `refs/heads/${ref}`,
      ci_config_ref_uri: `gitlab.com/${project}//.gitlab-ci.yml@refs/heads/${ref}`,
      user_id: String(500 + (i % 200)),
      user_login: `user-${i % 200}`,
      user_email: `user-${i % 200}@example.com`,
      jti: crypto.randomUUID(),
      iat,
      nbf: iat,
      exp: iat + 300,
      job_id: String(4_000_000_000 + i * 7),
      pipeline_id: String(1_200_000_000 + Math.floor(i / 5)),
      sha,
      ci_config_sha: sha,
    };
    const now = nowSeconds();
    recordLogin(
      env.DB,
      {
        event: "login",
        outcome: "success",
        orgId,
        identityId: s.identity.id,
        actor: `identity:${s.identity.id}`,
        clientIp: `198.51.${i % 250}.${(i * 7) % 250}`,
        country: "DE",
        colo: "FRA",
        details: { claims: snapshot, snapshot: 1 },
      },
      {
        jti: crypto.randomUUID(),
        firstIssuedAt: now,
        expiresAt: now + 3600,
        maxExpiresAt: now + 86_400,
        numUsesLimit: 0,
        authMethod: "oidc-auth",
      },
      (p) => queued.push(p),
    );
  };

  // A live token whose login event is archived keeps a row without details: its ledger entry (the same
  // columns as a renewal's stand-in, measured here).
  const start = await dbSize();
  for (let i = 0; i < N; i++) {
    const now = nowSeconds();
    const claims = {
      sub: s.identity.id,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 3600,
      org: s.org.id,
      auth_method: "oidc-auth",
    };
    const limits = { auth_id: "x", sob: "x", first_iat: now, max_exp: now + 86_400, ttl: 3600, uses: 0 };
    recordRenewedToken(env.DB, { ...claims, ...limits }, `198.51.${i % 250}.${(i * 7) % 250}`, (p) => queued.push(p));
  }
  await flushAudit(env.DB);
  const before = await dbSize();
  const perLedgerRow = (before - start) / N;
  for (let i = 0; i < N; i++) login(i, s.org.id);
  await flushAudit(env.DB);
  const perRow = ((await dbSize()) - before) / N;
  const detailsChars = JSON.stringify({ claims, snapshot: 1 }).length;

  // The tokens have expired by the time their day is archived: the rows leave D1 altogether. (The stand-ins
  // above are not events: they are not archived.)
  const started = Date.now();
  const run = await runMaintenance(env, nowMs() + 9 * DAY_MS);
  const archiveMs = Date.now() - started;
  await Promise.all(queued);
  const perLoginR2 = run.archivedBytes / run.archived;
  const figures = {
    d1BytesPerLoginRow: Math.round(perRow),
    d1BytesPerLedgerOnlyRow: Math.round(perLedgerRow),
    detailsChars,
    r2BytesPerLogin: Math.round(perLoginR2),
    archived: run.archived,
    archiveMsPerThousandRows: Math.round((archiveMs / run.archived) * 1000),
  };
  console.log(`audit capacity figures: ${JSON.stringify(figures)}`);

  expect(run.archived).toBeGreaterThanOrEqual(N);
  expect(perRow).toBeGreaterThan(detailsChars); // the snapshot is most of a row, and indexes come on top
  expect(perRow).toBeLessThan(2.5 * detailsChars);
  expect(perLoginR2).toBeLessThan(perRow / 2); // gzip: most of a snapshot repeats from login to login
  expect(perLedgerRow).toBeLessThan(perRow - detailsChars / 2); // without the snapshot
});
