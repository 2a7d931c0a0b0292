// Builds the Worker exactly as a deployment would (`wrangler deploy --dry-run`, through the shared helper
// in scripts/built-worker.mjs) and measures the bundle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildWorker as dryRunBuild } from "../../scripts/built-worker.mjs";
import { bundleComposition } from "./bundle.mjs";

export function buildWorker(root, outdir) {
  const scriptPath = dryRunBuild(join(root, "wrangler.toml"), outdir);
  const code = readFileSync(scriptPath);
  return {
    scriptPath,
    rawBytes: code.byteLength,
    // what `wrangler deploy` reports as "gzip" (default zlib level)
    gzipBytes: gzipSync(code).byteLength,
    composition: bundleComposition(scriptPath),
  };
}
