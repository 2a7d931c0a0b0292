// Where the service may fetch OIDC discovery documents and JWKS from. The URLs come from
// role/issuer configuration, so this is the guard against using the Worker to probe
// internal or local hosts (SSRF). Hostnames are checked after WHATWG URL parsing, which
// already lowercases them and normalises numeric spellings ("2130706433", "0x7f.1") to
// dotted-quad IPv4.

import { parseIpAddress } from "../net/ip-ranges";

export type FetchableUrlResult = { ok: true; url: URL } | { ok: false; reason: string };

const LOCAL_SUFFIXES = [".local", ".internal", ".home.arpa", ".localdomain"];

function hostnameProblem(hostname: string): string | null {
  // IPv6 literals keep their brackets in URL.hostname.
  if (hostname.startsWith("[") || parseIpAddress(hostname) !== null) {
    return "must not be an IP address";
  }
  // "example.com." is the same host as "example.com"; judge it without the root dot.
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  if (name === "localhost" || name.endsWith(".localhost")) return "must not be localhost";
  if (LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1))) {
    return "must not be a local or internal name";
  }
  if (!name.includes(".")) return "must be a fully qualified domain name";
  return null;
}

/** Whitespace and control characters: the URL parser drops some of them silently, so what was checked would not be what is stored. */
const INVISIBLE = /[\s\x00-\x1f\x7f]/;

export function checkFetchableUrl(raw: string, opts: { allowInsecure: boolean }): FetchableUrlResult {
  if (INVISIBLE.test(raw)) return { ok: false, reason: "must not contain spaces or control characters" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be a valid absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, reason: opts.allowInsecure ? "must use http or https" : "must use https" };
  }
  if (url.username !== "" || url.password !== "") {
    return { ok: false, reason: "must not contain credentials" };
  }
  // url.hash is "" for both "no fragment" and an empty one ("...#"); the href tells them apart.
  if (url.href.includes("#")) return { ok: false, reason: "must not contain a fragment" };
  // Local development and tests point at a loopback IdP over plain http.
  if (opts.allowInsecure) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "must use https" };
  const problem = hostnameProblem(url.hostname);
  return problem === null ? { ok: true, url } : { ok: false, reason: problem };
}

/**
 * A URL the IdP published (discovery's jwks_uri), judged against the URL the admin configured: fetchable as
 * above, and in production on port 443 unless the configured URL itself names that port. A configured URL
 * may name any port (the admin chose it); an IdP's document may not send the Worker to another port of
 * its own choosing. With allowInsecure (local development, tests), loopback http on any port stays allowed.
 */
export function checkPublishedUrl(raw: string, configured: string, opts: { allowInsecure: boolean }): FetchableUrlResult {
  const check = checkFetchableUrl(raw, opts);
  if (!check.ok || opts.allowInsecure) return check;
  let configuredPort = "";
  try {
    configuredPort = new URL(configured).port;
  } catch {
    /* an unparsable configured URL names no port */
  }
  const port = check.url.port; // "" for https's default, 443
  if (port !== "" && port !== configuredPort) {
    return { ok: false, reason: "must be on port 443, or on the port the configured URL names" };
  }
  return check;
}

const WELL_KNOWN = "/.well-known/openid-configuration";

// OIDC Discovery 1.0 §4: remove one terminating "/" from the issuer, then append the suffix.
export function discoveryDocumentUrl(oidcDiscoveryUrl: string): string {
  if (oidcDiscoveryUrl.endsWith(WELL_KNOWN)) return oidcDiscoveryUrl;
  const base = oidcDiscoveryUrl.endsWith("/") ? oidcDiscoveryUrl.slice(0, -1) : oidcDiscoveryUrl;
  return base + WELL_KNOWN;
}
