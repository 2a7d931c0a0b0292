import { describe, expect, it } from "vitest";
import { DomainError, REASON_CODES, reasonKind, type ReasonCode } from "../../src/errors";
import { httpStatus } from "../../src/http/errors";
// The docs as text: Vite inlines a `?raw` import as a string when it transforms this file, so the test
// needs no file system inside workerd.
import readme from "../../README.md?raw";
import architecture from "../../docs/architecture.md?raw";
import consumers from "../../docs/consumers.md?raw";
import deploy from "../../docs/deploy.md?raw";
import errorsDoc from "../../docs/errors.md?raw";
import gitlab from "../../docs/gitlab.md?raw";
import policy from "../../docs/policy.md?raw";
import security from "../../docs/security.md?raw";

const registered = new Set<string>(REASON_CODES);

/** `claim_not_allowed: <claim>` names the reason `claim_not_allowed`. */
const codeOf = (backticked: string) => backticked.split(":")[0]!.trim();

/** Rows of the tables in docs/errors.md whose first cell is a backticked code: { code, kind, status }. */
function errorTableRows(markdown: string) {
  return [...markdown.matchAll(/^\| `([a-z0-9_]+)` \| ([a-z_]+) \| ([^|]+) \|/gm)].map(([, code, kind, status]) => ({
    code: code!,
    kind: kind!,
    status: status!.trim(),
  }));
}

describe("docs/errors.md lists every reason code of src/errors.ts", () => {
  const rows = errorTableRows(errorsDoc);

  it("has one row per registered code, and no other", () => {
    const documented = rows.map((r) => r.code);
    expect(new Set(documented).size, "a code is listed twice").toBe(documented.length);
    expect([...documented].sort()).toEqual([...REASON_CODES].sort());
  });

  it("gives each code the kind it is registered with", () => {
    for (const { code, kind } of rows) expect(kind, code).toBe(reasonKind(code as ReasonCode));
  });

  it("gives each code the HTTP status the API answers it with", () => {
    for (const { code, status } of rows) expect(status, code).toContain(String(httpStatus(new DomainError(code as ReasonCode))));
  });
});

/**
 * Where the other docs name reason codes. Backticked snake_case words there are often field or claim names
 * (`jwks_uri`, `project_id`), log events (`write_behind_failed`) or another service's codes
 * (`not_a_project_member` in gitlab.md is the secrets Worker's), so only these forms are read as ours:
 */
const MENTION_PATTERNS: { name: string; pattern: RegExp }[] = [
  // an HTTP status then the code: 429 `rate_limited_client`, **503 `idp_unavailable`
  { name: "status then code", pattern: /\b[45]\d\d `([a-z][a-z0-9_]*(?::[^`]*)?)`/g },
  // a JSON example of the error body: "reasonCode": "claim_not_allowed: ref_protected"
  { name: "reasonCode in JSON", pattern: /"reasonCode": ?"([a-z][a-z0-9_]*(?::[^"]*)?)"/g },
  // refused with `jti_required`, refused with 401 `token_replayed`
  { name: "refused with", pattern: /\brefused with\s+(?:[45]\d\d\s+)?`([a-z][a-z0-9_]*(?::[^`]*)?)`/g },
];

function mentions(markdown: string): string[] {
  return MENTION_PATTERNS.flatMap(({ pattern }) => [...markdown.matchAll(pattern)].map((m) => codeOf(m[1]!)));
}

/** README: the examples in "Every refusal is a 401 with ...; the `reasonCode` names the rule (`a`, `b`, ...)". */
function readmeReasonList(markdown: string): string[] {
  const sentence = /Every refusal is a 401 with [^(]*\(([^)]*)\)/.exec(markdown);
  if (!sentence) return [];
  return [...sentence[1]!.matchAll(/`([^`]+)`/g)].map((m) => codeOf(m[1]!));
}

/** docs/security.md's hostile-token table: the backticked codes of its "refusal" column. */
function securityRefusalColumn(markdown: string): string[] {
  const lines = markdown.split("\n");
  const header = lines.findIndex((l) => /^\| attack \| refusal \|/.test(l));
  if (header < 0) return [];
  const codes: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const refusal = line.split(" | ")[1] ?? "";
    for (const m of refusal.matchAll(/`([a-z][a-z0-9_]*(?::[^`]*)?)`/g)) codes.push(codeOf(m[1]!));
  }
  return codes;
}

/** docs/consumers.md: the AuthenticateFailure type's example codes, `reasonCode: string; // e.g. a, b, c`. */
function consumersFailureExamples(markdown: string): string[] {
  const line = /reasonCode: string;\s*\/\/ e\.g\. ([^\n]*)/.exec(markdown);
  return line ? line[1]!.split(",").map((s) => s.trim()) : [];
}

describe("the reason codes that the other docs name are registered", () => {
  const docs: [string, string, string[]][] = [
    ["README.md, the reason list", readme, readmeReasonList(readme)],
    ["README.md", readme, mentions(readme)],
    ["docs/security.md, hostile-token table", security, securityRefusalColumn(security)],
    ["docs/security.md", security, mentions(security)],
    ["docs/gitlab.md", gitlab, mentions(gitlab)],
    ["docs/policy.md", policy, mentions(policy)],
    ["docs/consumers.md, AuthenticateFailure", consumers, consumersFailureExamples(consumers)],
    ["docs/architecture.md", architecture, mentions(architecture)],
    ["docs/deploy.md", deploy, mentions(deploy)],
  ];

  it.each(docs)("%s", (_name, _text, codes) => {
    expect(codes.length, "the patterns found no code: did the doc's wording change?").toBeGreaterThan(0);
    expect(codes.filter((c) => !registered.has(c))).toEqual([]);
  });

  it("README's reason list links to docs/errors.md", () => {
    expect(/Every refusal is a 401 with [^(]*\([^)]*\]\(docs\/errors\.md\)/.test(readme)).toBe(true);
  });
});
