import { describe, expect, it } from "vitest";
import { clientKey, identityKey } from "../../src/http/rate-limit";
import { canonicalClientAddress } from "../../src/net/ip-ranges";

describe("rate-limit keys", () => {
  it("keys a request without CF-Connecting-IP on 'unknown'", () => {
    expect(clientKey(null)).toBe("unknown");
    expect(clientKey(undefined)).toBe("unknown");
    expect(clientKey("")).toBe("unknown");
  });

  it("keys IPv4 by the address", () => {
    expect(clientKey("203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("203.0.113.10")).not.toBe(clientKey("203.0.113.9"));
  });

  it("keys IPv6 by its /64, whatever the spelling", () => {
    const a = clientKey("2001:db8:1:2::1");
    expect(a).toBe("2001:0db8:0001:0002::/64");
    expect(clientKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe(a);
    expect(clientKey("2001:DB8:1:2:0:0:0:9")).toBe(a);
    expect(clientKey("2001:db8:1:3::1")).not.toBe(a);
  });

  it("keys an IPv4-mapped IPv6 address as its IPv4 address, each address its own client", () => {
    expect(clientKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("::FFFF:cb00:7107")).toBe("203.0.113.7");
    expect(clientKey("0:0:0:0:0:ffff:203.0.113.7")).toBe(clientKey("203.0.113.7"));
    expect(clientKey("::ffff:203.0.113.8")).not.toBe(clientKey("::ffff:203.0.113.7"));
  });

  it("spells every client address one way: what audit rows record and trusted IPs are checked against", () => {
    expect(canonicalClientAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(canonicalClientAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(canonicalClientAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(canonicalClientAddress(null)).toBeNull();
    expect(canonicalClientAddress("")).toBeNull();
    expect(canonicalClientAddress("x".repeat(500))).toHaveLength(64);
  });

  it("reads a dotted IPv4 address as the full parse does: canonical ones as sent, others kept raw", () => {
    for (const ip of ["0.0.0.0", "9.99.199.255", "250.249.200.100", "1.2.3.4"]) expect(canonicalClientAddress(ip)).toBe(ip);
    // Not addresses (leading zero, octet over 255, short form, spaces): kept as sent, so they match no range.
    for (const text of ["01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4.5", "300.1.1.1"]) {
      expect(canonicalClientAddress(text)).toBe(text);
      expect(clientKey(text)).toBe(`raw:${text}`);
    }
  });

  it("keeps an unparseable value apart from addresses, bounded in length", () => {
    expect(clientKey("not an ip")).toBe("raw:not an ip");
    expect(clientKey("x".repeat(10_000)).length).toBeLessThanOrEqual(68);
  });

  it("case-folds identity UUIDs and puts every malformed id in one bucket", () => {
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    expect(identityKey(id.toUpperCase())).toBe(id);
    expect(identityKey("../../etc/passwd")).toBe("malformed");
    expect(identityKey("x".repeat(128))).toBe("malformed");
  });
});
