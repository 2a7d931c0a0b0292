import { Hono } from "../../hono";
import * as z from "zod";
import { MAX_ADMIN_BODY_BYTES } from "../../constants";
import { attachOidcAuth, detachOidcAuth, getOidcAuth, publicOidcAuth, updateOidcAuth } from "../../admin/oidc-auth";
import { configWarnings } from "../../oidc/config-policy";
import { whatIfInputSchema, whatIfOidcAuth } from "../../admin/what-if";
import { oidcConfigInputSchema } from "../../oidc/config-schema";
import type { OidcAuthConfig } from "../../storage/records";
import { requireAdmin } from "../admin-auth";
import { readRawBody } from "../body";
import { noteIgnoredKeys } from "../ignored-keys";
import { adminContext, type AppEnv } from "../../request-context";
import { CHANGE_ERRORS, del, documented, get, LOOKUP_ERRORS, patch, post, TAGS } from "../openapi/route-doc";
import {
  envelope,
  identityOidcAuthSchema,
  ignoredKeysWarningSchema,
  oidcAuthWithWarningsSchema,
  whatIfResultSchema,
} from "../openapi/schemas";

const PATH = "/api/v1/auth/oidc-auth/identities/:identityId";
const WHAT_IF = `${PATH}/what-if`;

/** Infisical's envelope, with what is to be said about the configuration beside it (its clients ignore it). */
const withWarnings = (config: OidcAuthConfig) => ({ identityOidcAuth: publicOidcAuth(config), warnings: configWarnings(config) });

export const oidcConfigRoutes = new Hono<AppEnv>()
  .use(PATH, requireAdmin)
  .use(WHAT_IF, requireAdmin)
  .post(PATH, async (c) => {
    const input = await readRawBody(c, MAX_ADMIN_BODY_BYTES);
    noteIgnoredKeys(c, oidcConfigInputSchema, input); // e.g. the identityId Infisical's Terraform provider sends
    return c.json(withWarnings(await attachOidcAuth(adminContext(c), c.req.param("identityId"), input)));
  })
  .patch(PATH, async (c) => {
    const input = await readRawBody(c, MAX_ADMIN_BODY_BYTES);
    noteIgnoredKeys(c, oidcConfigInputSchema, input); // e.g. id, createdAt... of a read body sent back
    return c.json(withWarnings(await updateOidcAuth(adminContext(c), c.req.param("identityId"), input)));
  })
  .get(PATH, async (c) => c.json(withWarnings(await getOidcAuth(adminContext(c), c.req.param("identityId")))))
  .delete(PATH, async (c) =>
    c.json({ identityOidcAuth: publicOidcAuth(await detachOidcAuth(adminContext(c), c.req.param("identityId"))) }),
  )
  .post(WHAT_IF, async (c) => {
    const input = await readRawBody(c, MAX_ADMIN_BODY_BYTES);
    noteIgnoredKeys(c, whatIfInputSchema, input);
    return c.json(await whatIfOidcAuth(adminContext(c), c.req.param("identityId"), input));
  });

/** What a change is checked for, in order: the first that fails is the answer. */
const VALIDATION =
  "422, in this order: `invalid_oidc_config` (fields, with `details: [{ field, message }]`); `condition_invalid` (the condition " +
  'does not compile, with `details: [{ field: "condition", message, position: { offset, line, column } }]`); `binding_too_broad` ' +
  "(nothing pins an owner: a GitLab subject must fix the top-level namespace, a GitHub subject the owner, or an owner claim or a " +
  "condition conjunct must; `details: [{ field, message }]`). The answer's `warnings` say what to fix in an accepted configuration.";

const identityOidcAuth = envelope("identityOidcAuth", identityOidcAuthSchema);
export const oidcConfigDocs = documented(oidcConfigRoutes, TAGS.oidc, [
  post(PATH, "Attach OIDC Auth to an identity", {
    description: `Omitted fields take their defaults. 400 \`auth_method_exists\` when the identity already has OIDC Auth. ${VALIDATION}`,
    // POST needs the two fields PATCH may leave out; otherwise the schema the services parse with.
    body: oidcConfigInputSchema.required({ oidcDiscoveryUrl: true, boundIssuer: true }),
    response: oidcAuthWithWarningsSchema,
    errors: [400, ...CHANGE_ERRORS],
  }),
  patch(PATH, "Change an identity's OIDC Auth configuration", {
    description: `Only the fields sent change; the result is validated as a whole. ${VALIDATION}`,
    body: oidcConfigInputSchema,
    response: oidcAuthWithWarningsSchema,
    errors: CHANGE_ERRORS,
  }),
  get(PATH, "Get an identity's OIDC Auth configuration", {
    description:
      "`warnings` say what to fix: a configuration stored before owner pinning was enforced (`binding_too_broad`) still logs in, " +
      "and no bound audience (`audience_unbound`) lets tokens minted for another relying party in.",
    response: oidcAuthWithWarningsSchema,
    errors: LOOKUP_ERRORS,
  }),
  del(PATH, "Detach OIDC Auth from an identity", {
    description: "Tokens issued under it fail at their next use, also after a new attach.",
    response: identityOidcAuth,
    errors: CHANGE_ERRORS,
  }),
  post(WHAT_IF, "Preview a change against recorded logins (what-if)", {
    description:
      "Takes the fields of a PATCH (merged over the current configuration and validated like a PATCH: 422 `invalid_oidc_config`) " +
      "and replays the identity's recorded login attempts of the last `days` under it, without saving anything. Replayed: attempts " +
      "whose signature verified (their claims are in the audit trail) that were admitted or refused by a rule of the configuration " +
      "(issuer, subject, audience, claims); refusals a configuration cannot change (signature, expiry, replay, rate limits) are not. " +
      "`before` is the current configuration's verdict on the recorded claims, `after` the proposed one's. Lists hold the newest 100; " +
      "at most 10,000 attempts are read (`truncated`). 422 `invalid_request` for a `days` outside 1 to the audit retention.",
    body: whatIfInputSchema,
    response: whatIfResultSchema.extend({ warnings: z.array(ignoredKeysWarningSchema).optional() }),
    errors: [...LOOKUP_ERRORS, 422],
  }),
]);
