import { Hono } from "../../hono";
import { jsx } from "hono/jsx/jsx-runtime";
import * as z from "zod";
import type { AppEnv } from "../../request-context";
import { openApiDocument } from "../openapi/document";
import { DocsPage } from "../openapi/docs-page";
import { documented, get, TAGS } from "../openapi/route-doc";

const OPENAPI_JSON = "/openapi.json";
const DOCS = "/docs";

/** Nothing on the page loads from anywhere: no script, no external style, font or image. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The OpenAPI document of the API and a readable rendering of it (src/http/openapi/). */
export const apiDocsRoutes = new Hono<AppEnv>()
  .get(OPENAPI_JSON, (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(openApiDocument());
  })
  .get(DOCS, (c) => {
    c.header("Content-Security-Policy", DOCS_CSP);
    c.header("Cache-Control", "public, max-age=300");
    return c.html(`<!doctype html>${jsx(DocsPage, { doc: openApiDocument() }).toString()}`);
  });

export const apiDocsDocs = documented(apiDocsRoutes, TAGS.meta, [
  get(OPENAPI_JSON, "This OpenAPI 3.1 document", {
    response: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }),
    errors: [],
  }),
  get(DOCS, "API reference (HTML, no external assets)", { response: "html", errors: [] }),
]);
