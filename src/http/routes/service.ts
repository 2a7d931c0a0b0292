import { Hono } from "../../hono";
import * as z from "zod";
import type { AppEnv } from "../../request-context";
import { documented, get, TAGS } from "../openapi/route-doc";

const INDEX = "/";
const STATUS = "/api/status";

/** Where to start, and a liveness check. */
export const serviceRoutes = new Hono<AppEnv>()
  .get(INDEX, (c) => c.json({ service: "edge-oidc-auth", docs: "/docs", jwks: "/.well-known/jwks.json" }))
  .get(STATUS, (c) => c.json({ status: "ok" }));

export const serviceDocs = documented(serviceRoutes, TAGS.meta, [
  get(INDEX, "Service index", { response: z.object({ service: z.string(), docs: z.string(), jwks: z.string() }), errors: [] }),
  get(STATUS, "Liveness", { response: z.object({ status: z.literal("ok") }), errors: [] }),
]);
