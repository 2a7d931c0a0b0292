// Generates an ES256 signing key set in the SIGNING_KEYS format (see docs/deploy.md).
import { exportJWK, generateKeyPair } from "jose";

export async function generateSigningKeys() {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = `k-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: "ES256" }], active: kid });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${await generateSigningKeys()}\n`);
}
