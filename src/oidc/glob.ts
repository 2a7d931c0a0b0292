// Glob patterns for subjects, audiences and claim values.
//
// Language (deliberately tiny so policies are easy to audit):
//   *   any run of code points, not crossing "/" (may be empty)
//   **  any run of code points, including "/" (may be empty); a run of 3+ stars is the same as **
//   ?   exactly one code point, except "/" (consistent with *)
//   anything else matches itself: exact code points, case-sensitive, no Unicode normalisation.
// There are no escapes, braces, character classes or negation. A pattern always matches the
// whole value (implicitly anchored at both ends).
//
// Matching simulates an NFA over pattern positions instead of using a backtracking regex, so
// it runs in O(len(value) * len(pattern)) and hostile claim values cannot cause a ReDoS.

import { BoundedMemo } from "../cache/memo";

type Token =
  | { kind: "literal"; char: string }
  | { kind: "star" } // *
  | { kind: "globstar" } // **
  | { kind: "one" }; // ?

export interface Glob {
  readonly source: string;
  matches(value: string): boolean;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  // Iterating a string yields code points, so astral characters stay one token.
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === "*") {
      let run = 1;
      while (chars[i + 1] === "*") {
        run++;
        i++;
      }
      tokens.push(run === 1 ? { kind: "star" } : { kind: "globstar" });
    } else if (c === "?") {
      tokens.push({ kind: "one" });
    } else {
      tokens.push({ kind: "literal", char: c });
    }
  }
  return tokens;
}

/** Compiled patterns, per isolate: every login matches the same few patterns of its configuration. */
const compiled = new BoundedMemo<Glob>(4_096);

export function compileGlob(pattern: string): Glob {
  return compiled.get(pattern, () => ({ source: pattern, matches: compileMatcher(pattern) }));
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * A pattern is literal prefix + middle + literal suffix, the middle starting and ending with a wildcard:
 * the literal ends are compared as strings and only the middle runs the NFA. A pattern with no wildcard
 * is a string comparison. (Patterns with surrogates keep the plain NFA: a lone surrogate in a pattern must
 * not match half of a pair in the value.)
 */
function compileMatcher(pattern: string): (value: string) => boolean {
  const tokens = tokenize(pattern);
  if (SURROGATE.test(pattern)) return compileNfa(tokens);
  const first = tokens.findIndex((t) => t.kind !== "literal");
  if (first === -1) return (value) => value === pattern;
  let last = tokens.length - 1;
  while (tokens[last]!.kind === "literal") last--;
  const literal = (ts: Token[]) => ts.map((t) => (t.kind === "literal" ? t.char : "")).join("");
  const prefix = literal(tokens.slice(0, first));
  const suffix = literal(tokens.slice(last + 1));
  const middle = compileNfa(tokens.slice(first, last + 1));
  const ends = prefix.length + suffix.length;
  return (value) =>
    value.length >= ends &&
    value.startsWith(prefix) &&
    value.endsWith(suffix) &&
    middle(value.slice(prefix.length, value.length - suffix.length));
}

function compileNfa(tokens: Token[]): (value: string) => boolean {
  const n = tokens.length;
  // State i means "tokens[0..i) have consumed the input so far"; state n is accepting.
  const isStar = tokens.map((t) => t.kind === "star" || t.kind === "globstar");

  // Stars can match the empty string, so entering state i also enters i+1 while tokens[i] is a star.
  function addWithClosure(set: Uint8Array, state: number): void {
    let s = state;
    while (s <= n && set[s] === 0) {
      set[s] = 1;
      if (s < n && isStar[s]) s++;
      else break;
    }
  }

  function matches(value: string): boolean {
    let current = new Uint8Array(n + 1);
    let next = new Uint8Array(n + 1);
    addWithClosure(current, 0);
    for (const c of value) {
      next.fill(0);
      let any = false;
      for (let s = 0; s < n; s++) {
        if (current[s] === 0) continue;
        const t = tokens[s] as Token;
        let advance = false;
        switch (t.kind) {
          case "literal":
            advance = t.char === c;
            break;
          case "one":
            advance = c !== "/";
            break;
          case "star":
            // Stay on the star (it absorbs c); leaving it was covered by the closure.
            if (c !== "/") {
              addWithClosure(next, s);
              any = true;
            }
            break;
          case "globstar":
            addWithClosure(next, s);
            any = true;
            break;
        }
        if (advance) {
          addWithClosure(next, s + 1);
          any = true;
        }
      }
      if (!any) return false; // no live states: nothing further can match
      [current, next] = [next, current];
    }
    return current[n] === 1;
  }

  return matches;
}

export function matchesGlob(pattern: string, value: string): boolean {
  return compileGlob(pattern).matches(value);
}

// A comma-separated any-of list. Because "," is the separator, a single pattern cannot
// contain a literal comma; entries are trimmed of ASCII whitespace and empty entries dropped.
export function splitPatternList(list: string): string[] {
  return list
    .split(",")
    .map(trimAsciiWhitespace)
    .filter((p) => p.length > 0);
}

// String.prototype.trim would also strip Unicode spaces (e.g. U+00A0), which could be
// meaningful literal characters in a pattern; only ASCII whitespace is insignificant.
function trimAsciiWhitespace(s: string): string {
  const ws = " \t\n\f\r";
  let start = 0;
  let end = s.length;
  while (start < end && ws.includes(s.charAt(start))) start++;
  while (end > start && ws.includes(s.charAt(end - 1))) end--;
  return s.slice(start, end);
}
