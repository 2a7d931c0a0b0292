// The life of a bench script (npm run bench, bench:global, soak): what it starts is closed, newest first,
// however the script ends (done, failed, interrupted, or stopped by its watchdog); a failure is logged
// and makes the exit code 1.

/**
 * @param {string} tag  prefix of the script's log lines (`[bench] ...`)
 * @param {number} watchdogMs  the script is stopped (exit code 2) when still running after this long
 */
export function benchScript(tag, watchdogMs) {
  const log = (msg) => process.stderr.write(`[${tag}] ${msg}\n`);
  /** Closers of what the script started (Miniflare, the IdP, timers), called newest first. */
  const resources = [];
  const cleanup = async () => {
    for (const close of resources.splice(0).reverse()) await close().catch(() => {});
  };
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${Math.round(watchdogMs / 1000)} s, stopping`);
    void cleanup().finally(() => process.exit(2));
  }, watchdogMs);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

  /** Runs the script's main, then closes everything it started. */
  async function run(main) {
    try {
      await main();
    } catch (err) {
      log(`failed: ${err?.stack ?? err}`);
      process.exitCode = 1;
    } finally {
      clearTimeout(watchdog);
      await cleanup();
    }
  }
  return { log, resources, run };
}
