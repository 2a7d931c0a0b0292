// A downstream Worker as a consumer would write one: a service binding AUTH to the service's
// AuthService entrypoint. GET /validate with "Authorization: Bearer <access token>" is one use.
// GET /floor calls the floor Worker's CounterService the same way (a bare Durable Object increment).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/floor") return Response.json({ n: await env.FLOOR.increment() });
    if (url.pathname !== "/validate") return new Response("not found", { status: 404 });
    const token = request.headers.get("authorization") ?? "";
    const result = await env.AUTH.authenticate(token, { clientIp: request.headers.get("cf-connecting-ip") });
    return Response.json(result, { status: result.ok ? 200 : result.status });
  },
};
