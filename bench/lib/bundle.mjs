// What the bundle is made of: bytes of generated code per origin (a src/ folder or an npm package),
// read from the source map wrangler writes next to the bundle.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one source-map segment (base64 VLQ) into its numbers. */
function decodeSegment(segment) {
  const out = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = DIGIT.get(ch);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** "src/http", "src/oidc", "hono", "zod", "@scope/pkg", or "(wrangler/esbuild glue)". */
function originOf(source) {
  const s = source.replace(/\\/g, "/");
  const nm = s.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = s.slice(nm + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const src = s.indexOf("src/");
  if (src >= 0) {
    const parts = s.slice(src).split("/");
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return "(wrangler/esbuild glue)";
}

/**
 * @returns {{ origin: string, bytes: number, gzipBytes?: number }[]} largest first; unmapped bytes count
 *   as glue. `gzipBytes` (the largest origins only): how much smaller the gzipped bundle gets without that
 *   origin's code, i.e. what it adds to the gzip figure the 200 KB budget is about. Compressing an origin
 *   alone would overstate it (the rest of the bundle shares its vocabulary).
 */
export function bundleComposition(scriptPath, { gzipOrigins = 12 } = {}) {
  const code = readFileSync(scriptPath, "utf8");
  const map = JSON.parse(readFileSync(`${scriptPath}.map`, "utf8"));
  const lines = code.split("\n");
  const mappingLines = map.mappings.split(";");
  const bytes = new Map();
  /** origin -> [start, end) character ranges in `code` */
  const ranges = new Map();
  let lineStart = 0;
  const add = (origin, n, from) => {
    bytes.set(origin, (bytes.get(origin) ?? 0) + n);
    if (from === undefined || n === 0) return;
    let r = ranges.get(origin);
    if (!r) ranges.set(origin, (r = []));
    r.push([from, from + n]);
  };
  let sourceIndex = 0;
  for (let li = 0; li < lines.length; li++) {
    const lineLength = Buffer.byteLength(lines[li]) + 1;
    const segments = (mappingLines[li] ?? "").split(",").filter(Boolean);
    let column = 0;
    let covered = 0;
    const starts = [];
    for (const seg of segments) {
      const f = decodeSegment(seg);
      column += f[0];
      if (f.length >= 4) sourceIndex += f[1];
      starts.push({ column, origin: f.length >= 4 ? originOf(map.sources[sourceIndex]) : "(wrangler/esbuild glue)" });
    }
    for (let i = 0; i < starts.length; i++) {
      const end = i + 1 < starts.length ? starts[i + 1].column : lineLength;
      const n = Math.max(0, end - starts[i].column);
      add(starts[i].origin, n, lineStart + starts[i].column);
      covered += n;
    }
    add("(wrangler/esbuild glue)", Math.max(0, lineLength - covered));
    lineStart += lines[li].length + 1;
  }
  const out = [...bytes].map(([origin, n]) => ({ origin, bytes: n })).sort((a, b) => b.bytes - a.bytes);
  // Source map columns count UTF-16 units: the ranges index the JS string, the byte counts above are bytes.
  const total = gzipSync(code).byteLength;
  for (const entry of out.slice(0, gzipOrigins)) {
    const r = ranges.get(entry.origin);
    if (!r) continue;
    let without = "";
    let at = 0;
    for (const [from, to] of r) {
      without += code.slice(at, from);
      at = to;
    }
    without += code.slice(at);
    entry.gzipBytes = total - gzipSync(without).byteLength;
  }
  return out;
}
