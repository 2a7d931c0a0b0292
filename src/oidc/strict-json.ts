/**
 * JSON as an attacker may write it, read strictly. `JSON.parse` accepts an object that names the same
 * member twice and silently keeps the last one, so two parsers (ours, a library's, a downstream
 * service's) could disagree about what a token says. This checker refuses such documents, and absurd
 * nesting and numbers that do not fit a double, before anything else reads them.
 *
 * Fast path: `JSON.parse` reads the document (natively); then the member names written in the text are
 * counted (indexOf finds the string tokens) and compared with the members the parsed value holds: fewer
 * held than written means a name was repeated. Depth and finiteness are checked on the parsed value.
 * Only a document JSON.parse refuses goes through the scanner below, which says precisely what is wrong.
 */

export class StrictJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StrictJsonError";
  }
}

export interface StrictJsonOptions {
  /** Deepest nesting of objects and arrays (the top-level value is depth 1). */
  maxDepth: number;
  /** The top-level value must be an object (default true). */
  requireObject?: boolean;
}

/** Parses `text` as JSON after checking it: no duplicate member names, bounded nesting, finite numbers. */
export function parseStrictJson(text: string, opts: StrictJsonOptions): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    scan(text, opts); // throws the precise reason
    throw new StrictJsonError("invalid JSON");
  }
  if ((opts.requireObject ?? true) && (value === null || typeof value !== "object" || Array.isArray(value))) {
    throw new StrictJsonError("not a JSON object");
  }
  const held = membersHeld(value, 1, opts.maxDepth);
  if (held !== membersWritten(text)) throw new StrictJsonError("duplicate member name");
  return value;
}

/**
 * Unicode text, i.e. no UTF-16 surrogate without its other half: JSON can write one (`"\ud800"`), no
 * Unicode text holds one (I-JSON, RFC 7493 §2.1), and readers disagree about it (some replace it, some
 * refuse the whole document). `isWellFormed` is native, cheaper than a regular expression on the hot path.
 */
const isUnicodeText = (text: string) => text.isWellFormed();

/**
 * Members of every object in a parsed value; throws on nesting deeper than maxDepth, a non-finite number
 * or a string (value or member name) with a lone surrogate.
 */
function membersHeld(value: unknown, depth: number, maxDepth: number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new StrictJsonError("number out of range");
    return 0;
  }
  if (typeof value === "string") {
    if (!isUnicodeText(value)) throw new StrictJsonError("a string is not Unicode text (a lone surrogate)");
    return 0;
  }
  if (value === null || typeof value !== "object") return 0;
  if (depth > maxDepth) throw new StrictJsonError("JSON nested too deeply");
  let count = 0;
  if (Array.isArray(value)) {
    for (const element of value) count += membersHeld(element, depth + 1, maxDepth);
    return count;
  }
  for (const key in value) {
    if (!isUnicodeText(key)) throw new StrictJsonError("a member name is not Unicode text (a lone surrogate)");
    count += 1 + membersHeld((value as Record<string, unknown>)[key], depth + 1, maxDepth);
  }
  return count;
}

/**
 * Member names written in a valid JSON text: string tokens followed (after whitespace) by a colon. Outside
 * strings a valid JSON text has no `"`, so each string token runs from a `"` to the next `"` not escaped
 * (preceded by an odd number of backslashes); found with indexOf, which skips a long string (an ID token
 * in a login body) far faster than a character-by-character walk.
 */
function membersWritten(text: string): number {
  let count = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && escaped(text, close)) close = text.indexOf('"', close + 1);
    if (close === -1) return count; // not a valid JSON text (never reached: JSON.parse accepted it)
    let i = close + 1;
    let c = text.charCodeAt(i);
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++i);
    if (c === 0x3a /* : */) count++;
    open = text.indexOf('"', i);
  }
  return count;
}

/** Whether the `"` at `quote` is escaped: preceded by an odd number of backslashes. */
function escaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let i = quote - 1; text.charCodeAt(i) === 0x5c; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** The slow path, for documents JSON.parse refused: finds and names the first problem. */
function scan(text: string, opts: StrictJsonOptions): void {
  const scanner = new Scanner(text, opts.maxDepth);
  scanner.ws();
  if ((opts.requireObject ?? true) && text.charCodeAt(scanner.pos) !== 0x7b /* { */) {
    throw new StrictJsonError("not a JSON object");
  }
  scanner.value(1);
  scanner.ws();
  if (scanner.pos !== text.length) throw new StrictJsonError("trailing characters after the JSON value");
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Scanner {
  pos = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  ws(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else return;
    }
  }

  value(depth: number): void {
    const c = this.text[this.pos];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return void this.string();
    if (c === "t") return this.literal("true");
    if (c === "f") return this.literal("false");
    if (c === "n") return this.literal("null");
    return this.number();
  }

  private object(depth: number): void {
    if (depth > this.maxDepth) throw new StrictJsonError("JSON nested too deeply");
    this.pos++; // {
    this.ws();
    const names = new Set<string>();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') throw new StrictJsonError("expected a member name");
      const name = this.string();
      if (names.has(name)) throw new StrictJsonError("duplicate member name");
      names.add(name);
      this.ws();
      if (this.text[this.pos] !== ":") throw new StrictJsonError("expected ':'");
      this.pos++;
      this.ws();
      this.value(depth + 1);
      this.ws();
      const next = this.text[this.pos++];
      if (next === "}") return;
      if (next !== ",") throw new StrictJsonError("expected ',' or '}'");
    }
  }

  private array(depth: number): void {
    if (depth > this.maxDepth) throw new StrictJsonError("JSON nested too deeply");
    this.pos++; // [
    this.ws();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      this.value(depth + 1);
      this.ws();
      const next = this.text[this.pos++];
      if (next === "]") return;
      if (next !== ",") throw new StrictJsonError("expected ',' or ']'");
    }
  }

  /** Reads a string literal and returns its decoded value (so "a" and "\u0061" are the same name). */
  private string(): string {
    const start = this.pos;
    STRING_BODY.lastIndex = start + 1;
    if (!STRING_BODY.test(this.text)) throw new StrictJsonError("malformed string");
    this.pos = STRING_BODY.lastIndex;
    const literal = this.text.slice(start, this.pos);
    return literal.includes("\\") ? (JSON.parse(literal) as string) : literal.slice(1, -1);
  }

  private number(): void {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match || match[0] === "" || match[0] === "-") throw new StrictJsonError("unexpected character");
    if (!Number.isFinite(Number(match[0]))) throw new StrictJsonError("number out of range");
    this.pos = NUMBER.lastIndex;
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.pos)) throw new StrictJsonError("unexpected character");
    this.pos += word.length;
  }
}
