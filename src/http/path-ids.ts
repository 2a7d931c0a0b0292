import { getPath } from "hono/utils/url";
import { canonicalId } from "../storage/ids";

/**
 * The request's path as the router sees it, with UUID segments in lower case. Our ids are lower-case UUIDs;
 * Infisical's (Postgres `uuid`) match in any case, so a client that upper-cases one finds the same resource
 * there and must here too (docs/compatibility.md). Other segments (slugs, names) keep their case. Paths
 * without an upper-case letter, the login's among them, are returned as they are after one scan.
 */
export function pathWithLowerCaseIds(request: Request): string {
  const path = getPath(request);
  return /[A-F]/.test(path) ? path.replace(/[^/]+/g, canonicalId) : path;
}
