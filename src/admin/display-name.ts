import * as z from "zod";

/**
 * Characters a display name may not hold: controls (NUL, ESC and the terminal sequences it starts, C1),
 * and the bidirectional controls that make text display in another order than it is stored
 * (`\u202Egnp.exe` shows as `exe.png`), so that a name reads in the console and in logs as what it is.
 */
const HIDDEN_OR_REORDERING = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
/** Characters that show nothing: a name made only of these (a zero-width space) looks blank. */
const INVISIBLE = /^[\s\u200b-\u200d\u2060\ufeff]*$/u;

/** The display name of an organization, an identity or a project: 1 to 64 characters, all of them visible text. */
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((name) => !HIDDEN_OR_REORDERING.test(name), "must not contain control or text-direction characters")
  .refine((name) => !INVISIBLE.test(name), "must contain a visible character")
  .describe("display name");
