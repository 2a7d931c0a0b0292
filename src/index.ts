import type { Env } from "./env";
import { createApp } from "./http/app";
import { runMaintenance } from "./maintenance";
import { guardedD1 } from "./storage/guarded-d1";

export { TokenStateObject } from "./tokens/token-state-object";
export { AuthService } from "./rpc/auth-service";
export type { AuthenticateOptions, AuthenticateResult, AuthServiceBinding } from "./rpc/types";

const app = createApp();

export default {
  // Every request sees D1 through guardedD1: a database failure answers 503, never 500.
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, { ...env, DB: guardedD1(env.DB) }, ctx),
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(runMaintenance(env));
  },
} satisfies ExportedHandler<Env>;
