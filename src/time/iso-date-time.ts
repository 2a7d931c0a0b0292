const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * The instant an ISO 8601 date-time with a zone names (any number of fraction digits: Go clients send
 * nanoseconds), or, with `dateOnly`, also a calendar date (its UTC midnight); null for anything else.
 * Stricter than Date.parse, which reads "audit 2027" as 2027-01-01 and rolls 2026-02-30 over to March 2:
 * the day must be one the month has, hours and minutes in range, the year from 1970 to 9999 (later ones
 * have no RFC 3339 form to answer with).
 */
export function parseIsoDateTime(text: string, opts: { dateOnly?: boolean } = {}): number | null {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return null;
  if (m[4] === undefined && !opts.dateOnly) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => (part === undefined ? 0 : Number(part))) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  const valid =
    year! >= 1970 &&
    year! <= 9999 &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59;
  const ms = m[4] === undefined ? date.getTime() : Date.parse(text);
  return valid && Number.isFinite(ms) ? ms : null;
}
