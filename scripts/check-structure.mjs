// Structure checks of src/, run by `npm test` (npm run check:structure). Plain Node, no dependency.
//
//   boundaries  the layers import downwards only (docs/architecture.md, "Layers"):
//               - src/oidc, src/tokens, src/admin and src/storage never import src/http or src/console;
//               - src/storage never imports src/oidc;
//               - no module outside src/http imports src/http, except the app entry src/index.ts.
//               Every `import ... from`, `export ... from`, `import "..."` and `import("...")` counts, type-only
//               ones too: a type from an edge is still a dependency on it.
//   reasons     src/errors.ts is the one place a reason code is written: no other file in src/ has a string
//               literal ('...', "..." or a `...` template without substitutions) equal to a registered code.
//               Code names a reason as `Reason.token_expired`.
//
// Usage: node scripts/check-structure.mjs [--only boundaries|reasons] [--root DIR]
// Prints every violation as `file:line: rule: detail` and exits 1 if there is any.
//
// The checks work on source text through a small JavaScript/TypeScript/JSX tokenizer (`scan`), so comments,
// regular expressions and JSX text are never mistaken for imports or strings. The exports are the units the
// checks are made of; test/unit/check-structure.test.ts exercises them.

// ---- tokenizer ---------------------------------------------------------------------------------

const KEYWORDS_BEFORE_EXPRESSION = new Set("return typeof instanceof in of new delete void throw case do else yield await".split(" "));

/**
 * The tokens of a module that the checks need, each with its line: `id` and `punct` (one character) with their
 * `value`; `string` with its `value`, for a string literal or a template literal without substitutions (raw
 * text, escapes kept); and, without a value, `template` (with substitutions), `number`, `regex` and `jsx` (an
 * element). `jsx` turns on JSX (for .tsx): attribute strings count as strings, element text does not.
 */
export function scan(text, { jsx = false } = {}) {
  const tokens = [];
  let pos = 0;
  let line = 1;

  const peek = (offset = 0) => text[pos + offset] ?? "";
  const advance = () => {
    if (text[pos] === "\n") line++;
    pos++;
  };
  const fail = (what) => {
    throw new SyntaxError(`line ${line}: ${what}`);
  };
  const isIdStart = (c) => /[A-Za-z_$\u0080-\uffff]/.test(c);
  const isIdPart = (c) => /[\w$\u0080-\uffff]/.test(c);
  // Whether the last token ends an operand: then `/` divides and `<` compares; otherwise they open a regex or JSX.
  const afterOperand = () => {
    const last = tokens.at(-1);
    if (!last) return false;
    if (last.type === "id") return !KEYWORDS_BEFORE_EXPRESSION.has(last.value);
    if (last.type === "punct") return last.value === ")" || last.value === "]" || last.value === "}" || last.postfix;
    return true; // string, template, number, regex, jsx
  };

  function quoted(quote) {
    const startLine = line;
    advance(); // opening quote
    let value = "";
    while (peek() !== quote) {
      if (pos >= text.length || peek() === "\n") fail("unterminated string");
      if (peek() === "\\") {
        advance();
        value += `\\${peek()}`; // escapes stay raw: a reason code has none
      } else value += peek();
      advance();
    }
    advance();
    tokens.push({ type: "string", value, line: startLine });
  }

  function template() {
    const startLine = line;
    advance(); // `
    let value = "";
    let substitutions = false;
    while (peek() !== "`") {
      if (pos >= text.length) fail("unterminated template");
      if (peek() === "\\") {
        value += peek();
        advance();
      } else if (peek() === "$" && peek(1) === "{") {
        substitutions = true;
        advance(); // $
        embedded();
        continue;
      }
      value += peek();
      advance();
    }
    advance();
    tokens.push(substitutions ? { type: "template", line: startLine } : { type: "string", value, line: startLine });
  }

  function regex() {
    advance(); // /
    let inClass = false;
    while (inClass || peek() !== "/") {
      if (pos >= text.length || peek() === "\n") fail("unterminated regular expression");
      if (peek() === "\\") advance();
      else if (peek() === "[") inClass = true;
      else if (peek() === "]") inClass = false;
      advance();
    }
    advance();
    while (isIdPart(peek())) advance(); // flags
    tokens.push({ type: "regex", line });
  }

  // <Tag attr="x" {...spread} attr={expr}>children</Tag>, <Tag/>, <>children</>
  function jsxElement() {
    const startLine = line;
    advance(); // <
    if (peek() === ">") {
      advance();
      jsxChildren();
    } else {
      while (/[\w.:-]/.test(peek())) advance(); // tag name
      for (;;) {
        while (/\s/.test(peek())) advance();
        if (peek() === "/" && peek(1) === ">") {
          advance();
          advance();
          break;
        }
        if (peek() === ">") {
          advance();
          jsxChildren();
          break;
        }
        if (pos >= text.length) fail("unterminated JSX tag");
        if (peek() === "{") {
          embedded(); // {...spread}
          continue;
        }
        const nameStart = pos;
        while (/[^\s=/>{]/.test(peek())) advance(); // attribute name
        if (pos === nameStart) fail("JSX attribute expected");
        while (/\s/.test(peek())) advance();
        if (peek() !== "=") continue;
        advance();
        while (/\s/.test(peek())) advance();
        if (peek() === '"' || peek() === "'") quoted(peek());
        else if (peek() === "{") embedded();
        else if (peek() === "<") jsxElement();
        else fail("JSX attribute value expected");
      }
    }
    tokens.push({ type: "jsx", line: startLine });
  }

  function jsxChildren() {
    for (;;) {
      if (pos >= text.length) fail("unterminated JSX element");
      if (peek() === "<" && peek(1) === "/") {
        while (pos < text.length && peek() !== ">") advance(); // closing tag
        advance();
        return;
      }
      if (peek() === "<") jsxElement();
      else if (peek() === "{") embedded();
      else advance(); // text
    }
  }

  // `{ expression }` in a template or JSX, scanned as code between brace tokens: the expression starts in
  // operand position (`{<li/>}`, `${/re/.source}`) whatever came before the brace.
  function embedded() {
    tokens.push({ type: "punct", value: "{", line });
    advance();
    code("}");
    tokens.push({ type: "punct", value: "}", line });
    advance();
  }

  // Scans code until the end of the text or, with `until`, an unmatched `until` character (left unconsumed).
  function code(until) {
    let depth = 0;
    while (pos < text.length) {
      const c = peek();
      if (c === "\n" || c === " " || c === "\t" || c === "\r") advance();
      else if (c === "/" && peek(1) === "/") while (pos < text.length && peek() !== "\n") advance();
      else if (c === "/" && peek(1) === "*") {
        const end = text.indexOf("*/", pos + 2);
        if (end < 0) fail("unterminated comment");
        while (pos < end + 2) advance();
      } else if (c === '"' || c === "'") quoted(c);
      else if (c === "`") template();
      else if (c === "/" && !afterOperand()) regex();
      else if (jsx && c === "<" && !afterOperand() && (isIdStart(peek(1)) || peek(1) === ">")) jsxElement();
      else if (isIdStart(c)) {
        const start = pos;
        while (isIdPart(peek())) advance();
        tokens.push({ type: "id", value: text.slice(start, pos), line });
      } else if (/[0-9]/.test(c)) {
        while (/[\w.]/.test(peek())) advance();
        tokens.push({ type: "number", line });
      } else {
        if (c === until && depth === 0) return;
        if (c === "{") depth++;
        if (c === "}") depth--;
        // `x!` (TypeScript's non-null assertion) ends an operand like `x` does
        tokens.push({ type: "punct", value: c, line, postfix: c === "!" && afterOperand() });
        advance();
      }
    }
    if (until) fail(`missing ${until}`);
  }

  code(undefined);
  return tokens;
}

// ---- imports and boundaries --------------------------------------------------------------------

/** The module specifiers a file imports or re-exports, with their lines. */
export function importSpecifiers(tokens) {
  const found = [];
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    const prev = tokens[i - 1];
    if (t.type !== "id" || (prev?.type === "punct" && prev.value === ".")) return; // not `x.from "m"`
    // import x from "m"; import { a } from "m"; export { a } from "m"; export * from "m"
    if (t.value === "from" && next?.type === "string") found.push({ specifier: next.value, line: next.line });
    // import "m" (side effects only)
    if (t.value === "import" && next?.type === "string") found.push({ specifier: next.value, line: next.line });
    // import("m"), typeof import("m")
    const arg = tokens[i + 2];
    if (t.value === "import" && next?.type === "punct" && next.value === "(" && arg?.type === "string") {
      found.push({ specifier: arg.value, line: arg.line });
    }
  });
  return found;
}

/** The src/ module a relative specifier names, as a path without extension (`src/http/errors`); else null. */
export function resolveSpecifier(fromFile, specifier) {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return null; // a package, or node:, cloudflare:
  const parts = fromFile.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts
    .join("/")
    .replace(/\.(m?[jt]sx?)$/, "")
    .replace(/\/index$/, "");
}

const under = (path, dir) => path === dir || path.startsWith(`${dir}/`);
const DOMAIN = ["src/oidc", "src/tokens", "src/admin", "src/storage"];
const EDGES = ["src/http", "src/console"];

/** The layering rules, in the order they are reported: an import breaks at most one (the first that applies). */
export const BOUNDARY_RULES = [
  {
    name: "domain-imports-edge",
    text: "src/oidc, src/tokens, src/admin and src/storage never import src/http or src/console",
    breaks: (from, to) => DOMAIN.some((d) => under(from, d)) && EDGES.some((e) => under(to, e)),
  },
  {
    name: "storage-imports-oidc",
    text: "src/storage never imports src/oidc",
    breaks: (from, to) => under(from, "src/storage") && under(to, "src/oidc"),
  },
  {
    name: "http-is-private",
    text: "only src/http itself and the app entry src/index.ts import src/http",
    breaks: (from, to) => under(to, "src/http") && !under(from, "src/http") && from !== "src/index.ts",
  },
];

/** `scan` for a file ({ path, text }): JSX in .tsx files, and the file named in a syntax error. */
export function scanFile(file) {
  try {
    return scan(file.text, { jsx: file.path.endsWith(".tsx") });
  } catch (err) {
    throw new Error(`${file.path}: cannot tokenize (${err.message}); check-structure.mjs needs a fix for this syntax`);
  }
}

/** Violations of the layering rules in `files` ({ path, text }, paths relative to the root, `src/...`). */
export function checkBoundaries(files) {
  const violations = [];
  for (const file of files) {
    for (const { specifier, line } of importSpecifiers(scanFile(file))) {
      const target = resolveSpecifier(file.path, specifier);
      if (target === null) continue;
      const rule = BOUNDARY_RULES.find((r) => r.breaks(file.path, target));
      if (rule) violations.push({ file: file.path, line, rule: rule.name, detail: `imports "${specifier}": ${rule.text}` });
    }
  }
  return violations;
}

// ---- reason codes ------------------------------------------------------------------------------

export const REGISTRY = "src/errors.ts";

/** The reason codes of the registry's source: the keys of each kind's object in `REASONS_BY_KIND`, in order. */
export function registeredCodes(registryText) {
  const tokens = scan(registryText);
  const start = tokens.findIndex(
    (t, i) => t.type === "id" && t.value === "REASONS_BY_KIND" && tokens[i + 1]?.value === "=" && tokens[i + 2]?.value === "{",
  );
  if (start < 0) throw new Error(`${REGISTRY}: no \`const REASONS_BY_KIND = {\` found`);
  const codes = [];
  let depth = 0;
  for (let i = start + 2; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === "punct" && t.value === "{") depth++;
    else if (t.type === "punct" && t.value === "}" && --depth === 0) break;
    else if (depth === 2 && (t.type === "id" || t.type === "string") && tokens[i + 1]?.value === ":") codes.push(t.value);
  }
  if (codes.length === 0) throw new Error(`${REGISTRY}: REASONS_BY_KIND has no codes`);
  return codes;
}

/** String literals in `files` (other than the registry) whose value is a registered reason code. */
export function checkReasons(files, codes) {
  const registered = new Set(codes);
  const violations = [];
  for (const file of files) {
    if (file.path === REGISTRY) continue;
    for (const t of scanFile(file)) {
      if (t.type === "string" && registered.has(t.value)) {
        violations.push({
          file: file.path,
          line: t.line,
          rule: "reason-literal",
          detail: `"${t.value}" is a reason code: name it Reason.${t.value} (src/errors.ts is the one place codes are written)`,
        });
      }
    }
  }
  return violations;
}

// ---- command line ------------------------------------------------------------------------------

export const CHECKS = {
  boundaries: (files) => checkBoundaries(files),
  reasons: (files) => {
    const registry = files.find((f) => f.path === REGISTRY);
    if (!registry) throw new Error(`${REGISTRY} not found`);
    return checkReasons(files, registeredCodes(registry.text));
  },
};

async function main(argv) {
  const { readFileSync, readdirSync } = await import("node:fs");
  const { join, relative, resolve } = await import("node:path");
  let root = process.cwd();
  let only = Object.keys(CHECKS);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--root") root = resolve(argv[++i] ?? ".");
    else if (argv[i] === "--only") only = (argv[++i] ?? "").split(",");
    else {
      console.error(`usage: node scripts/check-structure.mjs [--only ${Object.keys(CHECKS).join("|")}] [--root DIR]`);
      return 2;
    }
  }
  const unknown = only.filter((name) => !(name in CHECKS));
  if (unknown.length) {
    console.error(`unknown check: ${unknown.join(", ")} (known: ${Object.keys(CHECKS).join(", ")})`);
    return 2;
  }

  const files = readdirSync(join(root, "src"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(m?[jt]sx?)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort()
    .map((path) => ({ path, text: readFileSync(join(root, path), "utf8") }));

  let failed = 0;
  for (const name of only) {
    const violations = CHECKS[name](files);
    for (const v of violations) console.log(`${v.file}:${v.line}: ${v.rule}: ${v.detail}`);
    console.log(`check-structure ${name}: ${violations.length ? `${violations.length} violation(s)` : "ok"} (${files.length} files)`);
    failed += violations.length;
  }
  return failed ? 1 : 0;
}

// Run as a script (not when a test imports the checks).
const script = globalThis.process?.argv?.[1];
if (script && import.meta.url === (await import("node:url")).pathToFileURL(script).href) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    console.error(`check-structure: ${err.message}`);
    process.exitCode = 2;
  }
}
