/**
 * JSON as an attacker may write it, read strictly. `JSON.parse` accepts an object that names the same
 * member twice and silently keeps the last one, so two parsers (ours, a library's, a downstream
 * service's) could disagree about what a token says. This checker refuses such documents, and absurd
 * nesting and numbers that do not fit a double, before anything else reads them.
 *
 * It validates; the value itself then comes from `JSON.parse`, which for a document that passed reads
 * exactly what the checker read (the checker accepts a subset of RFC 8259, which is what JSON.parse takes).
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
  const scanner = new Scanner(text, opts.maxDepth);
  scanner.ws();
  if ((opts.requireObject ?? true) && text.charCodeAt(scanner.pos) !== 0x7b /* { */) {
    throw new StrictJsonError("not a JSON object");
  }
  scanner.value(1);
  scanner.ws();
  if (scanner.pos !== text.length) throw new StrictJsonError("trailing characters after the JSON value");
  return JSON.parse(text) as unknown;
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
