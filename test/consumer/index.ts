// A downstream Worker, as a consumer of edge-oidc-auth would write it: its wrangler.toml has
//   services = [{ binding = "AUTH", service = "edge-oidc-auth", entrypoint = "AuthService" }]
// vitest.config.ts compiles this file and runs it as an auxiliary Worker bound to the Worker under test;
// test/integration/rpc*.test.ts call it through the CONSUMER service binding.
//
// Only type imports: auxiliary Workers are not bundled, the type-stripped file runs as it is.
import type { AuthenticateResult, AuthServiceBinding } from "../../src/rpc/types";

interface Env {
  AUTH: AuthServiceBinding;
}

function bearer(request: Request): string {
  const header = request.headers.get("authorization") ?? "";
  return header.replace(/^Bearer(?:\s+|$)/i, "");
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);

    // What a real consumer does: the caller's token and the address Cloudflare saw, then act on the result.
    if (url.pathname === "/whoami") {
      const result: AuthenticateResult = await env.AUTH.authenticate(bearer(request), {
        clientIp: request.headers.get("cf-connecting-ip"),
        projectId: url.searchParams.get("projectId") ?? undefined,
      });
      return Response.json(result, { status: result.ok ? 200 : result.status });
    }

    // For tests of argument handling: calls authenticate(...args) with whatever JSON it is given and
    // reports whether the call threw (it must not) and what it answered.
    if (url.pathname === "/raw" && request.method === "POST") {
      const { args } = (await request.json()) as { args: unknown[] };
      const auth = env.AUTH as unknown as { authenticate(...a: unknown[]): Promise<AuthenticateResult> };
      try {
        return Response.json({ threw: false, result: await auth.authenticate(...args) });
      } catch (err) {
        return Response.json({ threw: true, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
    }

    return Response.json({ error: "not found" }, { status: 404 });
  },
};
