export function median(xs: number[]): number;
export function signTestP(k: number, n: number): number;
export const SIGNIFICANCE: number;
export function sideOfMedian(values: number[], threshold: number): "within" | "beyond" | null;
export function fewestDecisiveRounds(): number;
export function allowedDissent(n: number): number | null;
