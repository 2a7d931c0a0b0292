import type { Env } from "./env";
import { createApp } from "./http/app";
import { runMaintenance } from "./maintenance";
import { guardedD1 } from "./storage/guarded-d1";
import { writeBehind } from "./storage/write-behind";
import { consumeWriteBehind } from "./storage/write-behind-queue";

export { TokenStateObject } from "./tokens/token-state-object";
export { AuthService } from "./rpc/auth-service";
export type { AuthenticateOptions, AuthenticateResult, AuthServiceBinding } from "./rpc/types";

const app = createApp();

/**
 * The environment the app sees: `env` with D1 through guardedD1. Made once per env object (workerd passes
 * the same one to every request of an isolate) rather than copied for every request; it inherits the
 * other bindings from `env`, so it always reads them as they are.
 */
const appEnvs = new WeakMap<Env, Env>();
function appEnv(env: Env): Env {
  let seen = appEnvs.get(env);
  if (!seen) {
    seen = Object.create(env, { DB: { value: guardedD1(env.DB), enumerable: true } }) as Env;
    appEnvs.set(env, seen);
  }
  return seen;
}

export default {
  // Every request sees D1 through guardedD1: a database failure answers 503, never 500.
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => {
    // With the queue bound, this isolate's write-behind flushes go through it (docs/architecture.md, "Write-behind").
    writeBehind.routeThrough(env.WRITE_BEHIND_QUEUE);
    return app.fetch(request, appEnv(env), ctx);
  },
  // The write-behind queue's consumer: a batch of parcels from any number of isolates, one D1 call.
  async queue(batch, env, _ctx) {
    await consumeWriteBehind(batch, env.DB);
  },
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(runMaintenance(env));
  },
} satisfies ExportedHandler<Env>;
