// A login's isolate CPU by what it does (crypto, the HTTP edge, the audit row, ...), so that the report can
// say what each part of a login costs next to floor (a)'s total. Each profile sample is given to one
// feature by its stack: a runtime API (a native frame) is charged to the JavaScript that called it, a
// helper module (strict JSON, base64url, caches) to the code that used it, garbage collection and
// workerd's own C++ under the isolate's lock to themselves.

/** Features, in the report's order. */
export const FEATURES = [
  "ID token: shape, strict JSON, RS256 signature",
  "access token: claims, base64url, ES256 signature",
  "request body: read, strict JSON, schema",
  "HTTP edge: routing, middleware, response",
  "login logic: identity, keys, claims, snapshot",
  "audit row: write-behind, queue, D1 client",
  "rate limiter client",
  "garbage collection",
  "runtime outside JavaScript, other",
];
const [ID_TOKEN, ACCESS_TOKEN, BODY, EDGE, LOGIC, AUDIT, LIMITER, GC, RUNTIME] = FEATURES;

/** Modules that serve whoever calls them: their time is the caller's feature. */
const HELPERS = /^src\/(oidc\/strict-json|encoding\/|cache\/|time\/)/;

/** The feature of one module of the service (`src/...`, a package name, or a `cloudflare-internal:` url). */
function serviceFeature(module) {
  if (/^src\/oidc\/(token-shape|verify-id-token)\.ts$/.test(module) || module === "jose") return ID_TOKEN;
  if (/^src\/tokens\/(issued-for|access-token)\.ts$/.test(module)) return ACCESS_TOKEN;
  if (/^src\/http\/(body|ignored-keys)\.ts$/.test(module) || module === "zod") return BODY;
  if (/^src\/(storage\/(write-behind|audit-log|access-tokens)|tokens\/audit)/.test(module) || module.includes("d1-api")) return AUDIT;
  if (module === "src/http/rate-limit.ts" || module.includes("ratelimit")) return LIMITER;
  if (/^src\/(http\/|request-context|observability\/|index\.ts|hono\.ts)/.test(module) || module === "hono") return EDGE;
  if (/^src\//.test(module)) return LOGIC;
  return null;
}

/** Runtime APIs whose feature is their own, whoever calls them. */
const NATIVE_FEATURES = new Map([
  ["verify", ID_TOKEN],
  ["sign", ACCESS_TOKEN],
  ["json", BODY],
  ["arrayBuffer", BODY],
  ["text", BODY],
]);

/**
 * A classifier for bench/lib/isolate-cpu.mjs's splitByStack: `moduleOf(frame)` names a frame's source
 * module (bench/lib/profile.mjs). Frames run from the sample's leaf to its root.
 */
export function featureOf(moduleOf) {
  return (frames) => {
    const leaf = frames[0];
    if (leaf?.functionName === "(garbage collector)") return GC;
    if (!leaf?.url && NATIVE_FEATURES.has(leaf?.functionName)) return NATIVE_FEATURES.get(leaf.functionName);
    let helper = null;
    for (const frame of frames) {
      if (!frame.url) continue; // a runtime API: charged to its caller
      const module = moduleOf(frame);
      if (HELPERS.test(module)) {
        helper ??= module;
        continue;
      }
      const feature = serviceFeature(module);
      if (feature) return feature;
    }
    return helper ? LOGIC : RUNTIME;
  };
}
