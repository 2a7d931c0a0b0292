// Turns a V8 CPU profile of the service's isolate into "where does the time go": self time per source
// module and per function, mapped back through the bundle's source map to src/ and node_modules/.
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";

export function loadSourceMap(mapPath) {
  return new SourceMap(JSON.parse(readFileSync(mapPath, "utf8")));
}

/** Lines of each original source in the map (sourcesContent), for naming minified functions. */
const sourceLines = new WeakMap();
function originalLine(map, source, line) {
  let bySource = sourceLines.get(map);
  if (!bySource) {
    bySource = new Map();
    const { sources = [], sourcesContent = [] } = map.payload;
    for (const [i, s] of sources.entries()) bySource.set(s, (sourcesContent[i] ?? "").split("\n"));
    sourceLines.set(map, bySource);
  }
  return bySource.get(source)?.[line] ?? "";
}

/**
 * The bundle is minified (wrangler.toml `minify`): a function's name in the profile is a mangled one.
 * Its original name is read from the source at the function's original position: `function name(`,
 * `name(` (a method), `name = (`/`name = async (` (a const arrow), else the mangled name is kept.
 */
function originalName(map, entry, mangled) {
  const text = originalLine(map, entry.originalSource, entry.originalLine);
  const before = text.slice(0, entry.originalColumn + 1);
  const after = text.slice(entry.originalColumn);
  const m =
    /(?:function\*?\s+|(?:async\s+)?)([A-Za-z_$#][\w$]*)\s*(?:<[^>]*>)?\(/.exec(after) ??
    /([A-Za-z_$][\w$]*)\s*(?::[^=]*)?=\s*(?:async\s*)?\(?[^=]*$/.exec(before);
  return m?.[1] ?? mangled;
}

/** "src/oidc/jwks.ts", "jose", "hono", "zod", or a bracketed V8 category. */
function moduleOf(source) {
  const s = source.replace(/\\/g, "/");
  const nm = s.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = s.slice(nm + "node_modules/".length).split("/");
    const pkg = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    return pkg === "wrangler" || pkg.startsWith("@cloudflare") || pkg === "unenv" ? "(wrangler runtime shims)" : pkg;
  }
  const src = s.indexOf("src/");
  return src >= 0 ? s.slice(src) : s;
}

/** The source module ("src/tokens/token-state-object.ts", "jose", ...) of one profile call frame. */
export function moduleOfFrame(callFrame, map, bundleUrlSuffix = "index.js") {
  return frameKey(callFrame, map, bundleUrlSuffix).module;
}

function frameKey(callFrame, map, bundleUrlSuffix) {
  const { functionName, url, lineNumber, columnNumber } = callFrame;
  if (!url) {
    if (functionName === "(garbage collector)" || functionName === "(idle)" || functionName === "(program)") {
      return { module: functionName, fn: functionName };
    }
    // builtins and runtime APIs (crypto.subtle, TextEncoder, JSON, ...) called from JS
    return { module: "(native / runtime API)", fn: functionName || "(anonymous native)" };
  }
  if (!url.endsWith(bundleUrlSuffix) || !map) return { module: url, fn: functionName || "(anonymous)" };
  const entry = map.findEntry(lineNumber, columnNumber);
  const source = entry?.originalSource ? moduleOf(entry.originalSource) : "(bundle)";
  const line = entry?.originalLine !== undefined ? entry.originalLine + 1 : "?";
  const name = entry?.originalSource && functionName ? originalName(map, entry, functionName) : functionName;
  return { module: source, fn: `${name || "(anonymous)"} ${source}:${line}` };
}

/**
 * @returns {{ totalMs: number, activeMs: number, byModule: {name, selfMs, share}[], byFunction: {name, selfMs, share}[] }}
 *   share is of the active (non-idle) time.
 */
export function summarizeProfile(
  profile,
  map,
  { bundleUrlSuffix = "index.js", top = Number(process.env.BENCH_PROFILE_TOP ?? 15), periodUs } = {},
) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const keyOf = new Map();
  for (const n of profile.nodes) keyOf.set(n.id, frameKey(n.callFrame, map, bundleUrlSuffix));
  const selfByNode = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // With `periodUs` (bench/lib/isolate-cpu.mjs) each sample weighs one sampling period: on workerd's shared
    // thread a gap between two samples is mostly time spent in other isolates. Without it, the time to
    // the next sample.
    const dt = periodUs ? periodUs / 1000 : (timeDeltas[i + 1] ?? 0) / 1000;
    selfByNode.set(samples[i], (selfByNode.get(samples[i]) ?? 0) + dt);
  }
  const byModule = new Map();
  const byFunction = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of selfByNode) {
    const node = nodes.get(id);
    if (!node) continue;
    const k = keyOf.get(id);
    totalMs += ms;
    if (k.module === "(idle)" || k.module === "(program)") {
      // (program): the isolate's thread outside JS (workerd's own C++ and waiting); not ours to attribute
      idleMs += ms;
      continue;
    }
    byModule.set(k.module, (byModule.get(k.module) ?? 0) + ms);
    byFunction.set(k.fn, (byFunction.get(k.fn) ?? 0) + ms);
  }
  const activeMs = totalMs - idleMs;
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, selfMs]) => ({ name, selfMs, share: activeMs > 0 ? selfMs / activeMs : 0 }));
  return { totalMs, activeMs, byModule: rank(byModule), byFunction: rank(byFunction) };
}
