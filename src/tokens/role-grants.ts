/**
 * Temporary project roles (Infisical's `isTemporary` / `temporaryMode: "relative"` / `temporaryRange`):
 * a role held from a start time for a duration, and no longer after. Pure policy, read by the admin API
 * (to compute a grant's end time) and by every use of an access token (to answer only the roles in force),
 * always with the service's clock (src/time/clock.ts) passed in.
 */

/** A role as a token's use sees it: permanent (no bounds), or held from `fromMs` (inclusive) until `untilMs` (exclusive). */
export interface RoleWindow {
  role: string;
  fromMs?: number;
  untilMs?: number;
}

/**
 * The longest temporary grant: ten years, counted as the grammar counts "10y" (365.25-day years).
 * Infisical sets none; a longer one is a typo or a permanent role in disguise.
 */
export const MAX_TEMPORARY_RANGE_MS = 315_576_000_000;

const MS_PER: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_557_600_000, // 365.25 days, as the `ms` package counts a year
};

/** Every unit spelling the `ms` package (which Infisical parses `temporaryRange` with) accepts, lower-cased. */
const UNIT_ALIASES: Record<string, keyof typeof MS_PER> = {
  ms: "ms",
  msec: "ms",
  msecs: "ms",
  millisecond: "ms",
  milliseconds: "ms",
  s: "s",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  m: "m",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  h: "h",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  d: "d",
  day: "d",
  days: "d",
  w: "w",
  week: "w",
  weeks: "w",
  y: "y",
  yr: "y",
  yrs: "y",
  year: "y",
  years: "y",
};

/**
 * A `temporaryRange` in milliseconds, read as Infisical reads it (the `ms` package's grammar): a decimal
 * number, optional spaces, an optional unit in any case ("30m", "1h", "7d", "2 weeks", "1.5h"; no unit
 * means milliseconds). null when it is not that, not positive, or longer than MAX_TEMPORARY_RANGE_MS.
 * Fractions of a millisecond are dropped.
 */
export function parseTemporaryRange(text: string): number | null {
  const ms = durationMs(text);
  return ms !== null && ms > 0 && ms <= MAX_TEMPORARY_RANGE_MS ? ms : null;
}

/** Why parseTemporaryRange refuses `text` (it must: null is not a reason), in words for a field's message. */
export function temporaryRangeProblem(text: string): string {
  if (text === "") return "required for a temporary role";
  const ms = durationMs(text);
  if (ms === null) return `not a duration: ${text.slice(0, 100)}`;
  if (ms <= 0) return `not longer than 0: ${text.slice(0, 100)}`;
  return `longer than a temporary role may last (10 years): ${text.slice(0, 100)}`;
}

/** The grammar alone: milliseconds, any size, or null when `text` is not a duration. */
function durationMs(text: string): number | null {
  if (text.length === 0 || text.length > 100) return null;
  const match = /^(\d*\.?\d+) *([a-z]*)$/i.exec(text);
  if (!match) return null;
  const unit = match[2] === "" ? "ms" : UNIT_ALIASES[match[2]!.toLowerCase()];
  if (!unit) return null;
  return Math.floor(Number.parseFloat(match[1]!) * MS_PER[unit]!);
}

/** Whether a role applies at `nowMs`: a permanent one always, a temporary one from its start until (not at) its end. */
export function isInForce(w: RoleWindow, nowMs: number): boolean {
  return (w.fromMs === undefined || nowMs >= w.fromMs) && (w.untilMs === undefined || nowMs < w.untilMs);
}

/** The role slugs in force at `nowMs`, each once, in the order first granted. */
export function rolesInForce(windows: readonly RoleWindow[], nowMs: number): string[] {
  return [...new Set(windows.filter((w) => isInForce(w, nowMs)).map((w) => w.role))];
}
