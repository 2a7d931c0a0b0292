import type { Env } from "./env";
import { createApp } from "./http/app";
import { runMaintenance } from "./maintenance";

export { TokenStateObject } from "./tokens/token-state-object";
export { AuthService } from "./rpc/auth-service";
export type { AuthenticateOptions, AuthenticateResult, AuthServiceBinding } from "./rpc/types";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(runMaintenance(env));
  },
} satisfies ExportedHandler<Env>;
