/**
 * Structured JSON logs with the request id. Only codes, ids and sizes are logged: never a token, a JWT,
 * a key, a CA certificate or an error object (jose errors carry the whole token payload).
 */
type Level = "info" | "warn" | "error";
type Field = string | number | boolean | null | undefined;

export function log(level: Level, event: string, fields: Record<string, Field> = {}): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
