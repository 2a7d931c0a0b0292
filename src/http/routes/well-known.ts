import { Hono } from "../../hono";
import { loadSigningKeys } from "../../tokens/signing-keys";
import type { AppEnv } from "../../request-context";
import { documented, get, TAGS } from "../openapi/route-doc";
import { jwksSchema } from "../openapi/schemas";

const JWKS = "/.well-known/jwks.json";

/** Public keys of our access tokens, for services that validate them offline. */
export const wellKnownRoutes = new Hono<AppEnv>().get(JWKS, async (c) => {
  const keys = await loadSigningKeys(c.env.SIGNING_KEYS);
  c.header("Cache-Control", "public, max-age=300");
  return c.json(keys.publicJwks);
});

export const wellKnownDocs = documented(wellKnownRoutes, TAGS.meta, [
  get(JWKS, "Public keys of our access tokens", {
    description:
      "For services that validate access tokens offline (ES256; `iss` is the issuer identifier, `PUBLIC_URL` or else the origin the login was sent to; `aud` is `edge-oidc-auth`; `typ` is `at+jwt`). " +
      "Offline validation cannot see revocation, max uses or trusted IPs; see docs/consumers.md.",
    response: jwksSchema,
    errors: [503],
  }),
]);
