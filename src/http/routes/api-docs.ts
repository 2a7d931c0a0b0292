import { Hono } from "hono";
import { jsx } from "hono/jsx";
import type { AppEnv } from "../context";
import { openApiDocument } from "../openapi/document";
import { DocsPage } from "../openapi/docs-page";

/** Nothing on the page loads from anywhere: no script, no external style, font or image. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The OpenAPI document of the API and a readable rendering of it (src/http/openapi/). */
export const apiDocsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(openApiDocument());
  })
  .get("/docs", (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    c.header("Cache-Control", "public, max-age=300");
    return c.html(`<!doctype html>${jsx(DocsPage, { doc: openApiDocument() }).toString()}`);
  });
