import { getPath } from "hono/utils/url";

/** A UUID path segment written with at least one upper-case hex digit. */
const UUID_SEGMENT = /(?<=\/)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?=\/|$)/g;

/**
 * The request's path as the router sees it, with UUID segments in lower case. Our ids are lower-case UUIDs;
 * Infisical's (Postgres `uuid`) match in any case, so a client that upper-cases one finds the same resource
 * there and must here too (docs/compatibility.md). Other segments (slugs, names) keep their case. Paths
 * without an upper-case letter, the login's among them, are returned as they are after one scan.
 */
export function pathWithLowerCaseIds(request: Request): string {
  const path = getPath(request);
  return /[A-F]/.test(path) ? path.replace(UUID_SEGMENT, (id) => id.toLowerCase()) : path;
}
