// Small statistics shared by the bench scripts.

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The one-sided sign test's p-value: the chance that at least `k` of `n` rounds fall on one side of a
 * threshold when the median is exactly on it (each round then falls on either side with probability 1/2).
 * Rounds are paired measurements of the same two things, so this asks nothing of their distribution.
 */
export function signTestP(k, n) {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k)) throw new RangeError("signTestP: integer counts expected");
  if (k <= 0) return 1;
  if (k > n) return 0;
  let tail = 0;
  let ways = 1; // C(n, i), from i = 0
  for (let i = 0; i <= n; i++) {
    if (i >= k) tail += ways;
    ways = (ways * (n - i)) / (i + 1);
  }
  return tail / 2 ** n;
}

/** A target's significance level: a verdict needs the sign test's p-value at or below it. */
export const SIGNIFICANCE = 0.05;

/**
 * Which side of `threshold` the median of `values` is on, by the sign test at SIGNIFICANCE: "within"
 * (<= threshold), "beyond", or null when the rounds cannot tell (too few, or too many on each side).
 * 3 rounds can never tell (all 3 on one side: p = 0.125); 5 can when all agree (p = 0.031); 8 when at
 * most one disagrees (p = 0.035).
 */
export function sideOfMedian(values, threshold) {
  const n = values.length;
  const within = values.filter((v) => v <= threshold).length;
  if (signTestP(within, n) <= SIGNIFICANCE) return "within";
  if (signTestP(n - within, n) <= SIGNIFICANCE) return "beyond";
  return null;
}

/** The fewest rounds that can give a verdict at SIGNIFICANCE (when they all agree). */
export function fewestDecisiveRounds() {
  let n = 1;
  while (signTestP(n, n) > SIGNIFICANCE) n++;
  return n;
}

/** How many of `n` rounds may disagree with the rest for a verdict (null: `n` rounds never give one). */
export function allowedDissent(n) {
  let j = -1;
  while (j + 1 <= n && signTestP(n - (j + 1), n) <= SIGNIFICANCE) j++;
  return j < 0 ? null : j;
}
