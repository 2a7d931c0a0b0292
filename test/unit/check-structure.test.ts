import { describe, expect, it } from "vitest";
import {
  CHECKS,
  checkBoundaries,
  checkReasons,
  importSpecifiers,
  registeredCodes,
  resolveSpecifier,
  scan,
  type SourceFile,
} from "../../scripts/check-structure.mjs";
import { REASON_CODES } from "../../src/errors";
import registrySource from "../../src/errors.ts?raw";

// The checks of scripts/check-structure.mjs (`npm run check:structure`) on small made-up sources.

const strings = (text: string, jsx = false) => scan(text, { jsx }).flatMap((t) => (t.type === "string" ? [t.value] : []));
const rules = (files: SourceFile[]) => checkBoundaries(files).map((v) => `${v.file}:${v.line}: ${v.rule}`);

describe("scan", () => {
  it("reads string literals and templates without substitutions, not comments, regexes or substituted templates", () => {
    const text = [
      `const a = "double", b = 'single', c = \`plain\`, d = \`with \${"inner"} part\`;`,
      `// "in a line comment"`,
      `/* "in a block comment" */`,
      `const re = /"(?:[^"\\\\]|\\\\[^])*"/g, half = n! / 2, path = "a/b";`,
    ].join("\n");
    expect(strings(text)).toEqual(["double", "single", "plain", "inner", "a/b"]);
  });

  it("in JSX, reads attribute strings and expressions but not element text", () => {
    const text = `const v = <p title="attr" data-x='single'>Don't "quote" {cond ? <b>it's</b> : "expr"}</p>;`;
    expect(strings(text, true)).toEqual(["attr", "single", "expr"]);
  });

  it("keeps line numbers across comments, templates and JSX", () => {
    const text = `/*\n*/\nconst a = \`\n\`;\nconst b = <div>\n</div>;\nconst c = "here";`;
    expect(scan(text, { jsx: true }).find((t) => t.value === "here")?.line).toBe(7);
  });
});

describe("importSpecifiers", () => {
  it("finds static, re-exporting, side-effect and dynamic imports, type-only ones too", () => {
    const text = [
      `import { a, type B } from "./a";`,
      `import type { C } from "./c";`,
      `import {`,
      `  d,`,
      `} from "../d";`,
      `export { e } from "./e";`,
      `export * from "./f";`,
      `import "./g";`,
      `const h = await import("./h");`,
      `type I = typeof import("./i");`,
      `const notAnImport = Array.from("abc"); // import "./comment"`,
    ].join("\n");
    expect(importSpecifiers(scan(text))).toEqual([
      { specifier: "./a", line: 1 },
      { specifier: "./c", line: 2 },
      { specifier: "../d", line: 5 },
      { specifier: "./e", line: 6 },
      { specifier: "./f", line: 7 },
      { specifier: "./g", line: 8 },
      { specifier: "./h", line: 9 },
      { specifier: "./i", line: 10 },
    ]);
  });

  it("resolves relative specifiers to src/ paths and leaves packages alone", () => {
    expect(resolveSpecifier("src/oidc/jwks.ts", "../http/errors")).toBe("src/http/errors");
    expect(resolveSpecifier("src/oidc/jwks.ts", "./pem.ts")).toBe("src/oidc/pem");
    expect(resolveSpecifier("src/index.ts", "./http/index")).toBe("src/http");
    expect(resolveSpecifier("src/oidc/jwks.ts", "jose")).toBeNull();
    expect(resolveSpecifier("src/oidc/jwks.ts", "cloudflare:workers")).toBeNull();
  });
});

describe("checkBoundaries", () => {
  it("refuses an edge imported by the domain, src/oidc by src/storage, and src/http by anything but itself and src/index.ts", () => {
    const files = [
      { path: "src/oidc/a.ts", text: `import type { AppEnv } from "../http/context";` },
      { path: "src/tokens/b.ts", text: `export { x } from "../console/forms";` },
      { path: "src/admin/c.ts", text: `const m = await import("../http/errors");` },
      { path: "src/storage/d.ts", text: `import { e } from "../oidc/claims";\nimport "../http/app";` },
      { path: "src/console/e.tsx", text: `import { ApiError } from "../http/errors";\nconst v = <p>it's</p>;` },
      { path: "src/rpc/f.ts", text: `type T = typeof import("../http/body");` },
    ];
    expect(rules(files)).toEqual([
      "src/oidc/a.ts:1: domain-imports-edge",
      "src/tokens/b.ts:1: domain-imports-edge",
      "src/admin/c.ts:1: domain-imports-edge",
      "src/storage/d.ts:1: storage-imports-oidc",
      "src/storage/d.ts:2: domain-imports-edge",
      "src/console/e.tsx:1: http-is-private",
      "src/rpc/f.ts:1: http-is-private",
    ]);
  });

  it("allows imports downwards and the app entry's import of src/http", () => {
    const files = [
      { path: "src/index.ts", text: `import { app } from "./http/app";` },
      {
        path: "src/http/routes/login.ts",
        text: `import { authenticate } from "../../oidc/authenticate";\nimport { body } from "../body";`,
      },
      { path: "src/console/index.tsx", text: `import { listIdentities } from "../admin/identities";` },
      {
        path: "src/oidc/authenticate.ts",
        text: `import { DomainError } from "../errors";\nimport { getIdentity } from "../storage/identities";`,
      },
      { path: "src/storage/identities.ts", text: `import { now } from "../time/clock";\nimport { z } from "zod";` },
    ];
    expect(rules(files)).toEqual([]);
  });
});

describe("the reason registry", () => {
  it("registeredCodes reads the same codes from src/errors.ts as the module exports", () => {
    expect(registeredCodes(registrySource)).toEqual([...REASON_CODES]);
  });

  it("checkReasons refuses a registered code written as a string outside the registry, in any quotes", () => {
    const files = [
      { path: "src/errors.ts", text: `const REASONS_BY_KIND = { refused: { token_expired: "expired" } };` },
      { path: "src/oidc/a.ts", text: `throw unauthorized("token_expired");\nconst b = 'token_expired', c = \`token_expired\`;` },
      { path: "src/console/d.tsx", text: `const e = <input name="token_expired" />;` },
    ];
    expect(checkReasons(files, ["token_expired"]).map((v) => `${v.file}:${v.line}: ${v.rule}`)).toEqual([
      "src/oidc/a.ts:1: reason-literal",
      "src/oidc/a.ts:2: reason-literal",
      "src/oidc/a.ts:2: reason-literal",
      "src/console/d.tsx:1: reason-literal",
    ]);
  });

  it("checkReasons allows Reason.x, comments, JSX text, templates with substitutions and other strings", () => {
    const files = [
      {
        path: "src/oidc/a.tsx",
        text: [
          `throw new DomainError(Reason.token_expired); // refused with "token_expired"`,
          `const q = \`\${Reason.claim_not_allowed}: ref\`, other = "token_expired_at";`,
          `const v = <p>See token_expired in "docs"</p>;`,
        ].join("\n"),
      },
    ];
    expect(checkReasons(files, ["token_expired", "claim_not_allowed"])).toEqual([]);
  });

  it("both checks run on a set of files by name", () => {
    const files = [
      { path: "src/errors.ts", text: `const REASONS_BY_KIND = { conflict: { slug_taken: "taken" } };` },
      { path: "src/admin/a.ts", text: `import { ApiError } from "../http/errors";\nthrow new ApiError(409, "slug_taken");` },
    ];
    expect(CHECKS.boundaries(files).map((v) => v.rule)).toEqual(["domain-imports-edge"]);
    expect(CHECKS.reasons(files).map((v) => `${v.file}:${v.line}`)).toEqual(["src/admin/a.ts:2"]);
  });
});
