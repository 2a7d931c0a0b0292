/** base64url without padding (RFC 4648 §5), the encoding of JWS segments and of our console cookies. */

const NON_ASCII = /[^\x00-\x7f]/;
const encoder = new TextEncoder();

/** Of bytes given as a binary string (one char per byte, as `atob` returns and `btoa` takes). */
const fromBinary = (binary: string) => btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

export function encodeBase64url(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const b of u8) binary += String.fromCharCode(b);
  return fromBinary(binary);
}

/** Of a string's UTF-8 bytes; an ASCII string is its own UTF-8 and skips the encoder. */
export function encodeBase64urlText(text: string): string {
  return NON_ASCII.test(text) ? encodeBase64url(encoder.encode(text)) : fromBinary(text);
}
