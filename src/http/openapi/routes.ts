/**
 * Every route module's OpenAPI entries, in the document's order. Each module writes its own next to its
 * handlers (./route-doc.ts); a route added to the app without one fails test/integration/openapi.test.ts.
 *
 * A function, not a list: src/http/routes/api-docs.ts is one of the modules and serves the document, so
 * the modules are only read once they have all loaded.
 */
import { apiDocsDocs } from "../routes/api-docs";
import { auditLogDocs } from "../routes/audit-logs";
import { consoleSessionDocs } from "../routes/console-sessions";
import { identityDocs } from "../routes/identities";
import { loginDocs } from "../routes/login";
import { oauthDocs } from "../routes/oauth";
import { oidcConfigDocs } from "../routes/oidc-config";
import { organizationDocs } from "../routes/organizations";
import { projectDocs } from "../routes/projects";
import { serviceDocs } from "../routes/service";
import { tokenDetailsDocs } from "../routes/token-details";
import { tokenLifecycleDocs } from "../routes/token-lifecycle";
import { trafficDocs } from "../routes/traffic";
import { wellKnownDocs } from "../routes/well-known";
import type { ModuleDocs } from "./route-doc";

export const routeDocs = (): ModuleDocs[] => [
  serviceDocs,
  apiDocsDocs,
  wellKnownDocs,
  loginDocs,
  tokenLifecycleDocs,
  tokenDetailsDocs,
  oauthDocs,
  organizationDocs,
  identityDocs,
  oidcConfigDocs,
  projectDocs,
  auditLogDocs,
  consoleSessionDocs,
  trafficDocs,
];
