import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.SECRETS_MIGRATIONS);
await applyD1Migrations(env.AUTH_DB, env.AUTH_MIGRATIONS);
