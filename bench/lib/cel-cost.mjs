// The CPU of one CEL condition (issue 12: @marcbachmann/cel-js, regexes by @bufbuild/re2) as the service
// evaluates it: src/oidc/condition.ts bundled by esbuild and run in this Node process (V8, as workerd), on
// the README's example condition and a GitLab tag token's claims. Compiling is per configuration and
// memoized in the isolate; evaluating is per login of an identity with a condition.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gitlabClaims } from "./service.mjs";
import { median } from "./stats.mjs";

export const EXAMPLE_CONDITION =
  'claims.ref_type == "tag" && claims.ref.matches("^v[0-9]+[.][0-9]+[.][0-9]+$") && !(claims.user_login in ["dependabot[bot]"])';

/** µs per compile and per evaluation (median of 5 batches), or null when it cannot be measured. */
export async function celCost(root, outDir, { evaluations = 20_000 } = {}) {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "condition.mjs");
  const esbuild = join(root, "node_modules", ".bin", "esbuild");
  const res = spawnSync(
    esbuild,
    [join(root, "src", "oidc", "condition.ts"), "--bundle", "--format=esm", "--platform=neutral", `--outfile=${outfile}`],
    {
      encoding: "utf8",
    },
  );
  if (res.status !== 0) return null;
  const { compileCondition, evaluateCondition } = await import(pathToFileURL(outfile).href);
  const claims = { ...gitlabClaims(), ref: "v1.2.3", ref_type: "tag", ref_path: "refs/tags/v1.2.3" };
  const perCall = (n, fn) => {
    const batches = [];
    for (let b = 0; b < 5; b++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(i);
      batches.push(Number(process.hrtime.bigint() - t) / 1000 / n);
    }
    return median(batches);
  };
  const compiled = compileCondition(EXAMPLE_CONDITION);
  if (!compiled.ok) return null;
  const verdict = evaluateCondition(compiled.condition, claims);
  perCall(evaluations, () => evaluateCondition(compiled.condition, claims)); // warm up the JIT
  return {
    condition: EXAMPLE_CONDITION,
    admitted: verdict.ok,
    // a distinct source each time: nothing memoized (the module memoizes regexes per pattern)
    compileUs: perCall(200, (i) => compileCondition(`${EXAMPLE_CONDITION} && ${i} == ${i}`)),
    evaluateUs: perCall(evaluations, () => evaluateCondition(compiled.condition, claims)),
  };
}
