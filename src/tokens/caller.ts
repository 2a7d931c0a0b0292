/**
 * What the token lifecycle (login, renew, revoke) knows of the request that asked. The HTTP edge fills it
 * in (src/http/context.ts, `callerOf`); nothing here knows HTTP.
 */
export interface Caller {
  /** The client address Cloudflare saw (`CF-Connecting-IP`); null when unknown. */
  ip: string | null;
  /** Where Cloudflare received the request (`request.cf`), for the login audit; null when unknown. */
  country: string | null;
  colo: string | null;
  /**
   * The issuer identifier the request reached (`PUBLIC_URL`, else its origin; src/env.ts): the `iss` of
   * the access tokens it is issued. Absent: the legacy constant issuer (ACCESS_TOKEN_ISSUER).
   */
  issuer?: string;
  /** Runs work past the answer: the audit and ledger writes. */
  waitUntil: (p: Promise<unknown>) => void;
}
