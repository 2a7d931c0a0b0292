import { Hono } from "hono";
import { loadSigningKeys } from "../../tokens/signing-keys";
import type { AppEnv } from "../context";

/** Public keys of our access tokens, for services that validate them offline. */
export const wellKnownRoutes = new Hono<AppEnv>().get("/.well-known/jwks.json", async (c) => {
  const keys = await loadSigningKeys(c.env.SIGNING_KEYS);
  c.header("Cache-Control", "public, max-age=300");
  return c.json(keys.publicJwks);
});
