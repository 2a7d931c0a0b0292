// Every request spends exactly one use of the access token it presents, and a refused one none: every
// operation of the OpenAPI document (GET /openapi.json) is called with a token limited in uses, and its
// uses left are read before and after through GET /api/v1/identities/details (itself one use).
//
// "Refused" is the token refused: a 401 of any kind, 403 ip_not_trusted, 403 insufficient_role (the
// identity's Durable Object judges the role before it spends the use). A token the guard admitted has been
// used, whatever the route then answers: 404 for an id that names nothing, 422 for a body, 403
// organization_forbidden or admin_key_required for what the identity may not do.
import { describe, expect, it } from "vitest";
import { attachOidc, call, createIdentity, jwtPayload, ok, type Answer } from "../support/api";
import { gitlabClaims } from "../support/idp";
import { expectRefusal } from "../support/refusal";
import { AUDIENCE, GITLAB_SUBJECT, scenario, type OrgRole } from "../support/scenario";
import { useToken } from "../support/tokens";

interface Operation {
  method: string;
  path: string;
  /** Who may call it, from the document's `security`: none (public), or a bearer credential. */
  guarded: boolean;
}

async function operations(): Promise<Operation[]> {
  const doc = (await ok("GET", "/openapi.json", { token: null })) as {
    paths: Record<string, Record<string, { security: unknown[] }>>;
  };
  const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, guarded: op.security.length > 0 })),
  );
  // Deletions last, the most specific first (a membership before its project), so the others find what they name.
  const rank = (op: Operation) => (op.method === "DELETE" ? 10_000 - op.path.length : 0);
  return ops.sort((a, b) => rank(a) - rank(b));
}

/** Bodies that pass validation where that is easy to say; `{}` elsewhere (a 422 after the guard). */
function bodyFor(op: Operation, orgId: string): unknown {
  if (op.method === "GET" || op.method === "DELETE") return undefined;
  const key = `${op.method} ${op.path}`;
  const bodies: Record<string, unknown> = {
    "POST /api/v1/identities": { name: `walk-${crypto.randomUUID().slice(0, 8)}`, organizationId: orgId },
    "PATCH /api/v1/identities/{id}": { name: "walk-renamed" },
    "POST /api/v1/projects": { name: `walk-${crypto.randomUUID().slice(0, 8)}`, organizationId: orgId },
    "POST /api/v1/organizations": { name: "never-created" },
    "POST /api/v1/projects/{projectId}/memberships/identities/{identityId}": { roles: [{ role: "viewer" }] },
    "PATCH /api/v1/projects/{projectId}/memberships/identities/{identityId}": { roles: [{ role: "member" }] },
    "PATCH /api/v1/auth/oidc-auth/identities/{identityId}": { accessTokenTTL: 600 },
  };
  return bodies[key] ?? {};
}

/**
 * An organization (the scenario's) with an identity holding `role` and a counted token, and in it a second
 * identity with OIDC Auth, a live token and a project membership: the ids the walk fills paths with.
 */
async function walkFixture(role: OrgRole, config: Record<string, unknown> = {}) {
  const s = await scenario({ accessTokenNumUsesLimit: 10_000, ...config }, { role });
  const token = await s.login();
  const target = await createIdentity(s.org.id, "member", "walk-target");
  await attachOidc(target.id, {
    oidcDiscoveryUrl: s.idp.issuer,
    boundIssuer: s.idp.issuer,
    boundSubject: GITLAB_SUBJECT,
    boundAudiences: AUDIENCE,
  });
  const targetLogin = await call("POST", "/api/v1/auth/oidc-auth/login", {
    body: { identityId: target.id, jwt: await s.idp.mint(gitlabClaims()) },
    token: null,
  });
  expect(targetLogin.status, JSON.stringify(targetLogin.body)).toBe(200);
  const project = (
    await ok("POST", "/api/v1/projects", { body: { name: `walk-${crypto.randomUUID().slice(0, 8)}`, organizationId: s.org.id } })
  ).project as { id: string };
  await ok("POST", `/api/v1/projects/${project.id}/memberships/identities/${target.id}`, { body: { roles: [{ role: "viewer" }] } });
  const params: Record<string, string> = {
    identityId: target.id,
    projectId: project.id,
    tokenId: jwtPayload(targetLogin.body.accessToken).jti,
  };
  const url = (op: Operation) =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
      name === "id" ? (op.path.startsWith("/api/v1/organizations") ? s.org.id : target.id) : params[name]!,
    );
  return { s, token, url };
}

/** Calls every operation with `token` from `ip`; returns, per operation, the uses it spent and its answer. */
async function walk(
  ops: Operation[],
  fixture: Awaited<ReturnType<typeof walkFixture>>,
  ip: { call: string; measure: string },
): Promise<{ spent: Record<string, number>; answers: Record<string, Answer> }> {
  const usesLeft = async () => {
    const res = await useToken(fixture.token, { ip: ip.measure });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.identityDetails.token.usesLeft as number;
  };
  const spent: Record<string, number> = {};
  const answers: Record<string, Answer> = {};
  for (const op of ops) {
    const key = `${op.method} ${op.path}`;
    const before = await usesLeft();
    answers[key] = await call(op.method, fixture.url(op), { token: fixture.token, ip: ip.call, body: bodyFor(op, fixture.s.org.id) });
    // The second measurement is a use of its own.
    spent[key] = before - (await usesLeft()) - 1;
  }
  return { spent, answers };
}

describe("one use per request, none per refusal, on every operation of the OpenAPI document", () => {
  it("an org-admin's token: exactly one use per guarded operation, whatever it answers; none on public ones", async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(30);
    const fixture = await walkFixture("admin");
    const { spent, answers } = await walk(ops, fixture, { call: "198.51.100.7", measure: "198.51.100.7" });
    const expected = Object.fromEntries(ops.map((op) => [`${op.method} ${op.path}`, op.guarded ? 1 : 0]));
    expect(spent).toEqual(expected);
    // The walk did reach the routes: the guarded ones admitted the token (no 401), most answered 200.
    for (const op of ops.filter((o) => o.guarded)) {
      const res = answers[`${op.method} ${op.path}`]!;
      expect(res.status, `${op.method} ${op.path}: ${JSON.stringify(res.body)}`).not.toBe(401);
    }
    expect(Object.values(answers).filter((a) => a.status === 200).length).toBeGreaterThan(25);
  });

  it("a token refused for its role (member) or its address (untrusted IP) spends nothing anywhere", async () => {
    const ops = await operations();
    const member = await walkFixture("member");
    const asMember = await walk(ops, member, { call: "198.51.100.8", measure: "198.51.100.8" });
    // The member's own details, and an introspection (members may introspect), are uses; everything guarded
    // for admins is refused without one.
    const detailsOnly = (op: Operation) => op.guarded && (op.path === "/api/v1/identities/details" || op.path === "/oauth/introspect");
    expect(asMember.spent).toEqual(Object.fromEntries(ops.map((op) => [`${op.method} ${op.path}`, detailsOnly(op) ? 1 : 0])));
    for (const op of ops.filter((o) => o.guarded && !detailsOnly(o))) {
      expectRefusal(asMember.answers[`${op.method} ${op.path}`]!, 403, "insufficient_role");
    }

    const restricted = await walkFixture("admin", { accessTokenTrustedIps: [{ ipAddress: "203.0.113.0/24" }] });
    const fromElsewhere = await walk(ops, restricted, { call: "198.51.100.9", measure: "203.0.113.5" });
    expect(Object.values(fromElsewhere.spent).every((n) => n === 0)).toBe(true);
    for (const op of ops.filter((o) => o.guarded)) {
      const answer = fromElsewhere.answers[`${op.method} ${op.path}`]!;
      // The OAuth endpoints answer RFC 6749 errors, with our reasonCode beside them.
      if (op.path.startsWith("/oauth/")) expect([answer.status, answer.body.reasonCode]).toEqual([403, "ip_not_trusted"]);
      else expectRefusal(answer, 403, "ip_not_trusted");
    }
  });

  it("with one use left, an admin call that registers its guard on `/x` and `/x/*` succeeds with it; the next is refused", async () => {
    for (const [method, path, body] of [
      ["GET", "/api/v1/organizations", undefined],
      ["GET", "/api/v1/projects", undefined],
      ["POST", "/api/v1/projects", "project"],
      ["GET", "/api/v1/identities/:self/access-tokens", undefined],
    ] as const) {
      const s = await scenario({ accessTokenNumUsesLimit: 2 }, { role: "admin" });
      const token = await s.login();
      expect((await useToken(token)).body.identityDetails.token.usesLeft).toBe(1);
      const url = path.replace(":self", s.identity.id);
      const payload = body ? { name: `last-use-${crypto.randomUUID().slice(0, 8)}`, organizationId: s.org.id } : undefined;
      const res = await call(method, url, { token, body: payload });
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(200);
      expectRefusal(await call(method, url, { token, body: payload }), 401, "token_uses_exhausted");
    }
  });
});
