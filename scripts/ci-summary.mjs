// Prints the one line CI reads: "N passed, N failed", from vitest's JSON report.
import { existsSync, readFileSync } from "node:fs";

const [file, status] = process.argv.slice(2);
if (!existsSync(file)) {
  // typecheck or startup failed before any test ran
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, "utf8"));
const passed = report.numPassedTests ?? 0;
let failed = report.numFailedTests ?? 0;
// A file that failed to load, or a non-zero exit with no failed test, still counts as a failure.
if (failed === 0 && (report.numFailedTestSuites > 0 || Number(status) !== 0)) failed = Math.max(1, report.numFailedTestSuites ?? 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
