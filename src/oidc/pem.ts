/**
 * `caCert` checking. Workers' `fetch` cannot be told to trust a custom CA (docs/security.md, "Reaching a
 * private IdP"), so this field is informational on this platform: it is validated so that what is stored is
 * at least a well-formed certificate (or chain), never a private key or arbitrary text, and then kept for
 * Infisical compatibility and for the admin's reference.
 *
 * The check is structural, not cryptographic: each PEM block decodes (strict base64) to DER whose outer
 * element is a SEQUENCE spanning exactly the block and holding the three elements of an X.509 Certificate
 * (RFC 5280 §4.1): tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signatureValue BIT STRING.
 */

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;
/** A chain longer than this is not a CA bundle anyone needs here. */
const MAX_CERTIFICATES = 10;

/** Null if `text` is one or more PEM certificates (nothing else), else what is wrong with it. */
export function pemCertificateProblem(text: string): string | null {
  if (/PRIVATE KEY/.test(text)) {
    return "must not contain a private key: caCert takes the CA's public certificate only (treat the pasted key as leaked)";
  }
  const trimmed = text.trim();
  let count = 0;
  let last = 0;
  for (const match of trimmed.matchAll(BLOCK)) {
    if (trimmed.slice(last, match.index).trim() !== "") return "must contain only PEM certificates (text found between blocks)";
    last = match.index + match[0].length;
    const [, begin, body, end] = match;
    if (begin !== "CERTIFICATE" || end !== "CERTIFICATE") return `must contain only certificates (found a ${begin} block)`;
    if (++count > MAX_CERTIFICATES) return `at most ${MAX_CERTIFICATES} certificates`;
    const der = decodeBase64(body!.replace(/[\r\n]/g, ""));
    if (der === null) return `certificate ${count} is not valid base64`;
    if (!looksLikeCertificate(der)) return `certificate ${count} is not a DER-encoded X.509 certificate`;
  }
  if (count === 0) return "must be a PEM certificate (-----BEGIN CERTIFICATE-----)";
  if (trimmed.slice(last).trim() !== "") return "must contain only PEM certificates (text found after the last block)";
  return null;
}

function decodeBase64(body: string): Uint8Array | null {
  if (body.length % 4 !== 0 || !BASE64_BODY.test(body)) return null;
  try {
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

interface Tlv {
  tag: number;
  /** first content byte */
  start: number;
  /** one past the last content byte */
  end: number;
}

/** One DER element at `offset` (low-tag-number form, definite length), or null if malformed. */
function readTlv(der: Uint8Array, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) return null;
  const first = der[offset + 1]!;
  let length: number;
  let start = offset + 2;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return null; // 0x80 is BER's indefinite length: not DER
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : null;
}

function looksLikeCertificate(der: Uint8Array): boolean {
  const outer = readTlv(der, 0, der.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return false;
  const tbs = readTlv(der, outer.start, outer.end);
  if (!tbs || tbs.tag !== 0x30) return false;
  const algorithm = readTlv(der, tbs.end, outer.end);
  if (!algorithm || algorithm.tag !== 0x30) return false;
  const signature = readTlv(der, algorithm.end, outer.end);
  if (!signature || signature.tag !== 0x03 || signature.end !== outer.end) return false;
  // tbsCertificate opens with the explicit [0] version or, for v1, the serial number INTEGER.
  const firstField = readTlv(der, tbs.start, tbs.end);
  return firstField !== null && (firstField.tag === 0xa0 || firstField.tag === 0x02);
}
