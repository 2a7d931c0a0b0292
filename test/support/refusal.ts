// The one assertion for a refusal, at either edge of the error model (src/errors.ts): an HTTP answer of the
// Worker (src/http/errors.ts) or an AuthService result as the consumer Worker relays it (src/rpc/failure.ts).
//
//   expectRefusal(await useToken(token), 401, "token_revoked");
//   expectRefusal(res, 401, "claim_not_allowed: ref", { secrets: [res.jwt] });
//   expectRefusal(await whoami(token), 403, "ip_not_trusted");
import { expect } from "vitest";
import type { ReasonCode } from "../../src/errors";
import { sentWith } from "./api";

/**
 * A reasonCode as the wire carries it: a key of the registry (a typo fails the typecheck), and
 * claim_not_allowed always with the claim it names.
 */
export type WireReasonCode = Exclude<ReasonCode, "claim_not_allowed"> | `claim_not_allowed: ${string}`;

/** The statuses refusals are answered with (src/http/errors.ts, src/rpc/failure.ts). */
export type RefusalStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

export interface RefusalOptions {
  /**
   * What the answer must not contain, whole or as any of its dot-separated segments of 16 characters or
   * more: the presented ID token, an access token. Whatever the request itself presented (bearer token,
   * `jwt`, `accessToken`) is checked too, without being listed here.
   */
  secrets?: string[];
}

const HTTP_KEYS = ["statusCode", "error", "message", "reqId", "reasonCode"];
/** Two base64url JSON segments and a third: any JWT, ours or presented. */
const JWT_SHAPED = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/;
/** Secrets found by the helpers rather than named by the test: shorter ones ("", "a.b.c") may occur anywhere. */
const MIN_PRESENTED_LENGTH = 16;

/**
 * A refusal with exactly this status and reasonCode, in the documented shape, that echoes nothing:
 * - HTTP: the body is `{ statusCode, error, message, reqId, reasonCode[, details] }` with statusCode ===
 *   status and reqId === X-Request-Id;
 * - AuthService (whoami() of ./tokens.ts): the result is `{ ok: false, status, reasonCode, message }`;
 * - no access token in the answer, no JWT-shaped text at all in its body or headers, and none of
 *   `secrets` nor of what the request presented.
 */
export function expectRefusal(
  res: { status: number; body: unknown; headers?: Headers },
  status: RefusalStatus,
  reasonCode: WireReasonCode,
  opts: RefusalOptions = {},
): void {
  const sent = sentWith(res);
  const text = sent?.text ?? (typeof res.body === "string" ? res.body : JSON.stringify(res.body));
  const where = `expected ${status} ${reasonCode}, got ${res.status} ${text.slice(0, 500)}`;
  const body = res.body as Record<string, unknown> | null;
  expect({ status: res.status, reasonCode: body?.reasonCode }, where).toEqual({ status, reasonCode });

  if (sent?.edge === "rpc") {
    expect(body, where).toEqual({ ok: false, status, reasonCode, message: expect.stringMatching(/\S/) });
  } else {
    expect(
      Object.keys(body!).filter((k) => !HTTP_KEYS.includes(k) && k !== "details"),
      where,
    ).toEqual([]);
    expect(body, where).toMatchObject({
      statusCode: status,
      error: expect.stringMatching(/\S/),
      message: expect.stringMatching(/\S/),
      reqId: expect.stringMatching(/^req-[0-9a-f-]{36}$/),
      reasonCode,
    });
    if (res.headers) expect(res.headers.get("x-request-id"), where).toBe(body!.reqId);
  }

  expect(body, where).not.toHaveProperty("accessToken");
  const headers = res.headers ? [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n") : "";
  const answer = `${text}\n${headers}`;
  expect(JWT_SHAPED.exec(answer)?.[0], `${where}: a JWT in the answer`).toBeUndefined();
  const secrets = [...(opts.secrets ?? []), ...(sent?.presented ?? []).filter((p) => p.length >= MIN_PRESENTED_LENGTH)];
  for (const secret of secrets) {
    for (const part of [secret, ...secret.split(".").filter((p) => p.length >= MIN_PRESENTED_LENGTH)]) {
      if (part.length > 0) expect(answer.includes(part), `${where}: echoes ${part.slice(0, 24)}...`).toBe(false);
    }
  }
}
