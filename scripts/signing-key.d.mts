export function generateSigningKeys(): Promise<string>;
