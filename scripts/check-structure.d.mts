// Types of scripts/check-structure.mjs, for test/unit/check-structure.test.ts.
export interface Token {
  type: "id" | "punct" | "string" | "template" | "number" | "regex" | "jsx";
  value?: string;
  line: number;
}
export interface SourceFile {
  path: string;
  text: string;
}
export interface Violation {
  file: string;
  line: number;
  rule: string;
  detail: string;
}
export function scan(text: string, options?: { jsx?: boolean }): Token[];
export function scanFile(file: SourceFile): Token[];
export function importSpecifiers(tokens: Token[]): { specifier: string; line: number }[];
export function resolveSpecifier(fromFile: string, specifier: string): string | null;
export const BOUNDARY_RULES: { name: string; text: string; breaks(from: string, to: string): boolean }[];
export function checkBoundaries(files: SourceFile[]): Violation[];
export const REGISTRY: string;
export function registeredCodes(registryText: string): string[];
export function checkReasons(files: SourceFile[], codes: readonly string[]): Violation[];
export const CHECKS: Record<"boundaries" | "reasons", (files: SourceFile[]) => Violation[]>;
