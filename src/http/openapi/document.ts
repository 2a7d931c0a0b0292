/**
 * The OpenAPI 3.1 document, generated from the route modules' own entries (./routes.ts, ./route-doc.ts)
 * with zod's own JSON Schema conversion: request bodies and queries as the routes parse them (io "input"),
 * responses as the code produces them (io "output"), field descriptions from the schemas' `.describe()`.
 * Who may call each route comes from its guards. Built once per isolate.
 */
import * as z from "zod";
import { DIGIT_STRING_TOO } from "../../oidc/config-schema";
import type { RouteAuth } from "../admin-auth";
import { TAGS, type RouteDoc } from "./route-doc";
import { routeDocs } from "./routes";
import { errorBodySchema } from "./schemas";

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** Hono's `/a/:id/b` is OpenAPI's `/a/{id}/b`. */
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

const SECURITY: Record<RouteAuth, Record<string, string[]>[]> = {
  none: [],
  accessToken: [{ accessToken: [] }],
  admin: [{ adminKey: [] }, { accessToken: [] }],
  adminKey: [{ adminKey: [] }],
};

const STATUS_TEXT: Record<number, string> = {
  400: "Bad request (e.g. the resource already exists)",
  401: "Credentials missing, invalid, expired, revoked or exhausted",
  403: "Forbidden: wrong organization, insufficient role or client IP not trusted",
  404: "Not found",
  409: "Conflict (slug taken)",
  413: "Request body too large",
  415: "The body's Content-Type is not accepted (admin routes take application/json only)",
  422: "Malformed request; `details` names the fields",
  429: "Rate limited; retry after `Retry-After` seconds",
  503: "Temporarily unavailable (IdP, token state or signing key), or, on the admin API, an ADMIN_API_KEY too weak to serve",
};

/** The OAuth endpoints' errors (src/http/oauth-errors.ts): RFC 6749 §5.2 codes, by status. */
const OAUTH_STATUS_TEXT: Record<number, string> = {
  400:
    "`invalid_request` (a missing, malformed or repeated parameter); at the token endpoint also `invalid_grant` (the ID token is refused), " +
    "`invalid_target` (no such identity, two of them, or a malformed `resource`) or `unsupported_grant_type`; `reasonCode` says which rule",
  401: "`invalid_token`: the caller's bearer credentials are missing or refused",
  403: "`insufficient_scope`: the caller's identity may not do this",
  429: "`temporarily_unavailable`: rate limited; retry after `Retry-After` seconds",
  503: "`temporarily_unavailable`: the IdP, token state or signing key is unavailable; retry",
};

/**
 * Converts one zod schema. Named schemas (./schemas.ts) come out as `$ref`s and their definitions are
 * collected into `defs`; the same name must always produce the same definition.
 */
function convert(schema: z.ZodType, io: "input" | "output", defs: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", override: digitStringToo }) as JsonSchema;
  const { $schema: _s, $defs, ...rest } = json as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, def] of Object.entries($defs ?? {})) {
    const fixed = rewriteRefs(def);
    if (defs[name] && JSON.stringify(defs[name]) !== JSON.stringify(fixed)) {
      throw new Error(`OpenAPI: schema ${name} converts differently in two places`);
    }
    defs[name] = fixed;
  }
  return rewriteRefs(rest);
}

/** A whole number also taken as a string of digits (DIGIT_STRING_TOO): both forms, as the API reads them. */
function digitStringToo(ctx: { jsonSchema: Record<string, unknown> }): void {
  const [marker] = Object.keys(DIGIT_STRING_TOO);
  if (!ctx.jsonSchema[marker!]) return;
  const { [marker!]: _, description, ...number } = ctx.jsonSchema;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, {
    ...(description === undefined ? {} : { description }),
    anyOf: [number, { type: "string", pattern: "^\\s*\\d+\\s*$", description: "the same number as decimal digits" }],
  });
}

function rewriteRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as T;
}

const jsonContent = (schema: JsonSchema) => ({ "application/json": { schema } });

function operation(route: RouteDoc, tag: string, auth: RouteAuth, defs: Record<string, JsonSchema>): Operation {
  const parameters: Parameter[] = [];
  for (const [, name] of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) {
    parameters.push({ name: name!, in: "path", required: true, schema: { type: "string" } });
  }
  if (route.query) {
    const query = convert(route.query, "input", defs) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema as JsonSchema & { description?: string };
      parameters.push({
        name,
        in: "query",
        required: query.required?.includes(name) ?? false,
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }

  const op: Operation = {
    operationId: `${route.method}${openApiPath(route.path).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [tag],
    security: SECURITY[auth],
    responses: {},
  };
  if (parameters.length) op.parameters = parameters;
  if (route.body) {
    const schema = convert(route.body, "input", defs);
    const form = { "application/x-www-form-urlencoded": { schema } };
    op.requestBody = {
      required: true,
      content: route.formBody === "only" ? form : { ...jsonContent(schema), ...(route.formBody ? form : {}) },
    };
  }
  op.responses["200"] =
    route.response === "html"
      ? { description: "HTML page", content: { "text/html": { schema: { type: "string" } } } }
      : { description: "OK", content: jsonContent(convert(route.response, "output", defs)) };
  const errorBody = route.errorBody ? convert(route.errorBody, "output", defs) : { $ref: "#/components/schemas/Error" };
  // Admin bodies are JSON only (src/http/body.ts: 415 for another type); the admin guard answers 503 for a weak admin key.
  const errors = new Set(route.errors);
  if (route.body && !route.formBody) errors.add(415);
  if (auth === "admin" || auth === "adminKey") errors.add(503);
  for (const status of [...errors].sort((a, b) => a - b)) {
    op.responses[String(status)] = {
      description: (route.errorBody && OAUTH_STATUS_TEXT[status]) || (STATUS_TEXT[status] ?? "Error"),
      content: jsonContent(errorBody),
    };
  }
  return op;
}

export function buildOpenApiDocument(): OpenApiDocument {
  const defs: Record<string, JsonSchema> = {};
  convert(errorBodySchema, "output", defs);
  const paths: OpenApiDocument["paths"] = {};
  for (const module of routeDocs()) {
    for (const route of module.routes) {
      const path = openApiPath(route.path);
      const item = (paths[path] ??= {});
      if (item[route.method]) throw new Error(`OpenAPI: ${route.method} ${route.path} is listed twice`);
      item[route.method] = operation(route, module.tag, module.auth(route), defs);
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "edge-oidc-auth",
      version: "0.1.0",
      description:
        "OIDC machine-identity login at the edge, wire-compatible with Infisical's OIDC Auth. A CI job exchanges its " +
        "platform's ID token for a short-lived access token (`POST /api/v1/auth/oidc-auth/login`); downstream services " +
        "check that token. Errors are `{ statusCode, error, message, reqId, reasonCode }`, except on the OAuth endpoints " +
        "(`/oauth/*`), which answer RFC 6749's `{ error, error_description }` with our `reasonCode` beside them.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags: Object.values(TAGS).map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        adminKey: {
          type: "http",
          scheme: "bearer",
          description:
            "The deployment's ADMIN_API_KEY secret. The admin API also accepts (scheme accessToken) the access token of an identity " +
            "whose organization role is `admin`, limited to its own organization.",
        },
        accessToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token from login or renew. Each request made with it is a use (max uses, trusted IPs).",
        },
      },
    },
  };
}

let cached: OpenApiDocument | undefined;
/** The document, built on first use in this isolate. */
export const openApiDocument = (): OpenApiDocument => (cached ??= buildOpenApiDocument());
