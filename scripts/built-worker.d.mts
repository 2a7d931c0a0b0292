// Types of scripts/built-worker.mjs for TypeScript callers (vitest configs, test setup).
export function buildWorker(configPath: string, outdir: string): string;
export function builtWorkerOptions(o: {
  configPath: string;
  scriptPath: string;
  name: string;
  bindings?: Record<string, unknown>;
  // Miniflare WorkerOptions (wrangler's Miniflare and the vitest plugin's each have their own type of it).
}): any;
export function wranglerMiniflare(): any;
export function applyMigrations(
  db: { batch(statements: unknown[]): Promise<unknown>; prepare(sql: string): unknown },
  dir: string,
): Promise<void>;
