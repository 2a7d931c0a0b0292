import { describe, expect, it } from "vitest";
import {
  ipInRange,
  isIpAddress,
  isIpAllowed,
  isPrivateOrSpecialIp,
  normalizeIpRange,
  parseIpAddress,
  parseIpRange,
  type IpAddress,
  type IpRange,
} from "../../src/net/ip-ranges";

function ip(text: string): IpAddress {
  const parsed = parseIpAddress(text);
  if (!parsed) throw new Error(`test setup: bad address ${text}`);
  return parsed;
}

function range(text: string): IpRange {
  const parsed = parseIpRange(text);
  if (!parsed) throw new Error(`test setup: bad range ${text}`);
  return parsed;
}

describe("parseIpAddress", () => {
  it("parses IPv4 dotted quads", () => {
    expect(parseIpAddress("1.2.3.4")).toEqual({ version: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
    expect(ip("0.0.0.0").bytes).toEqual(Uint8Array.from([0, 0, 0, 0]));
    expect(ip("255.255.255.255").bytes).toEqual(Uint8Array.from([255, 255, 255, 255]));
  });

  it("parses IPv6 full and compressed forms", () => {
    const full = ip("2001:0db8:0000:0000:0000:0000:0000:0001");
    expect(full.version).toBe(6);
    expect(full.bytes[0]).toBe(0x20);
    expect(full.bytes[15]).toBe(1);
    for (const variant of ["2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0::0:1", "2001:0db8::0:0001"]) {
      expect(ip(variant)).toEqual(full);
    }
    expect(ip("::").bytes).toEqual(new Uint8Array(16));
    expect(ip("::1").bytes[15]).toBe(1);
    expect(ip("1::").bytes[1]).toBe(1);
    expect(ip("1:2:3:4:5:6:7::")).toEqual(ip("1:2:3:4:5:6:7:0"));
    expect(ip("::2:3:4:5:6:7:8")).toEqual(ip("0:2:3:4:5:6:7:8"));
  });

  it("parses an embedded IPv4 tail", () => {
    expect(ip("::ffff:1.2.3.4")).toEqual(ip("::ffff:102:304"));
    expect(ip("64:ff9b::192.0.2.1")).toEqual(ip("64:ff9b::c000:201"));
    expect(ip("1:2:3:4:5:6:1.2.3.4")).toEqual(ip("1:2:3:4:5:6:102:304"));
  });

  it("rejects garbage", () => {
    for (const text of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.02.3.4",
      "1.2.3.4/33",
      "1.2.3.4 ",
      " 1.2.3.4",
      "1.2.3.-4",
      "0x7f.0.0.1",
      "2130706433",
      "::1::",
      ":::",
      ":1::",
      "1::2:",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      "12345::",
      "g::",
      "::ffff:1.2.3.256",
      "::ffff:1.2.3",
      "1.2.3.4::",
      "::1.2.3.4:5",
      "[::1]",
      "fe80::1%eth0",
      "localhost",
    ]) {
      expect(parseIpAddress(text), text).toBeNull();
    }
  });
});

describe("isIpAddress", () => {
  it("says yes exactly to what parseIpAddress reads", () => {
    const texts = ["1.2.3.4", "0.0.0.0", "255.255.255.255", "199.249.200.100", "01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4 "];
    texts.push("::1", "::ffff:1.2.3.4", "2001:db8::1", "fe80::1%eth0", "[::1]", "", "localhost", "1.2.3.4.5", "256.1.1.1");
    for (const text of texts) expect(isIpAddress(text), text).toBe(parseIpAddress(text) !== null);
  });
});

describe("parseIpRange / normalizeIpRange", () => {
  it("treats a bare address as a single host", () => {
    expect(normalizeIpRange("1.2.3.4")).toBe("1.2.3.4/32");
    expect(normalizeIpRange("2001:db8::1")).toBe("2001:db8::1/128");
  });

  it("masks host bits", () => {
    expect(normalizeIpRange("10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(normalizeIpRange("192.168.1.77/25")).toBe("192.168.1.0/25");
    expect(normalizeIpRange("255.255.255.255/1")).toBe("128.0.0.0/1");
    expect(normalizeIpRange("1.2.3.4/0")).toBe("0.0.0.0/0");
    expect(normalizeIpRange("2001:DB8:ffff::1/32")).toBe("2001:db8::/32");
    expect(normalizeIpRange("2001:db8::1/127")).toBe("2001:db8::/127");
    expect(normalizeIpRange("2001:db8::3/127")).toBe("2001:db8::2/127");
    expect(normalizeIpRange("fe80::1/0")).toBe("::/0");
  });

  it("prints IPv6 in RFC 5952 form", () => {
    expect(normalizeIpRange("2001:0db8:0000:0000:0001:0000:0000:0001")).toBe("2001:db8::1:0:0:1/128");
    expect(normalizeIpRange("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1/128");
    expect(normalizeIpRange("1:0:0:2:0:0:0:3")).toBe("1:0:0:2::3/128");
    expect(normalizeIpRange("0:0:0:0:0:0:0:0")).toBe("::/128");
    expect(normalizeIpRange("FE80:0:0:0:0:0:0:0/10")).toBe("fe80::/10");
  });

  it("converts IPv4-mapped ranges to IPv4", () => {
    expect(normalizeIpRange("::ffff:10.1.2.3/104")).toBe("10.0.0.0/8");
    expect(normalizeIpRange("::ffff:1.2.3.4")).toBe("1.2.3.4/32");
    expect(normalizeIpRange("::ffff:0:0/96")).toBe("0.0.0.0/0");
  });

  it("rejects bad ranges", () => {
    for (const text of [
      "1.2.3.4/33",
      "1.2.3.4/-1",
      "1.2.3.4/",
      "1.2.3.4/08",
      "1.2.3.4/8/8",
      "1.2.3.4/ 8",
      "::/129",
      "/8",
      "10.0.0.0/8 ",
      "bogus/8",
    ]) {
      expect(parseIpRange(text), text).toBeNull();
      expect(normalizeIpRange(text), text).toBeNull();
    }
  });
});

describe("ipInRange / isIpAllowed", () => {
  it("checks IPv4 membership at various prefix lengths", () => {
    expect(ipInRange(ip("10.200.3.4"), range("10.0.0.0/8"))).toBe(true);
    expect(ipInRange(ip("11.0.0.0"), range("10.0.0.0/8"))).toBe(false);
    expect(ipInRange(ip("1.2.3.4"), range("1.2.3.4/32"))).toBe(true);
    expect(ipInRange(ip("1.2.3.5"), range("1.2.3.4/32"))).toBe(false);
    expect(ipInRange(ip("127.0.0.1"), range("0.0.0.0/1"))).toBe(true);
    expect(ipInRange(ip("128.0.0.1"), range("0.0.0.0/1"))).toBe(false);
    expect(ipInRange(ip("192.168.1.127"), range("192.168.1.0/25"))).toBe(true);
    expect(ipInRange(ip("192.168.1.128"), range("192.168.1.0/25"))).toBe(false);
  });

  it("checks IPv6 membership", () => {
    expect(ipInRange(ip("2001:db8::1"), range("2001:db8::/32"))).toBe(true);
    expect(ipInRange(ip("2001:db9::1"), range("2001:db8::/32"))).toBe(false);
    expect(ipInRange(ip("2001:db8::1"), range("2001:db8::/127"))).toBe(true);
    expect(ipInRange(ip("2001:db8::2"), range("2001:db8::/127"))).toBe(false);
    expect(ipInRange(ip("2001:db8::1"), range("2001:db8::1/128"))).toBe(true);
    expect(ipInRange(ip("2001:db8::2"), range("2001:db8::1/128"))).toBe(false);
    expect(ipInRange(ip("::1"), range("8000::/1"))).toBe(false);
    expect(ipInRange(ip("ffff::1"), range("8000::/1"))).toBe(true);
  });

  it("never mixes families", () => {
    expect(ipInRange(ip("1.2.3.4"), range("::/0"))).toBe(false);
    expect(ipInRange(ip("::1"), range("0.0.0.0/0"))).toBe(false);
  });

  it("admits everything in the family with /0", () => {
    for (const a of ["0.0.0.0", "8.8.8.8", "255.255.255.255"]) expect(isIpAllowed(a, ["0.0.0.0/0"])).toBe(true);
    for (const a of ["::", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]) {
      expect(isIpAllowed(a, ["::/0"])).toBe(true);
    }
  });

  it("treats IPv4-mapped IPv6 as IPv4", () => {
    expect(isIpAllowed("::ffff:10.1.2.3", ["10.0.0.0/8"])).toBe(true);
    expect(isIpAllowed("::ffff:a01:203", ["10.0.0.0/8"])).toBe(true);
    expect(isIpAllowed("::ffff:11.1.2.3", ["10.0.0.0/8"])).toBe(false);
    expect(isIpAllowed("10.1.2.3", ["::ffff:10.0.0.0/104"])).toBe(true);
    expect(isIpAllowed("::ffff:10.1.2.3", ["0.0.0.0/0"])).toBe(true);
  });

  it("fails closed", () => {
    expect(isIpAllowed("not-an-ip", ["0.0.0.0/0", "::/0"])).toBe(false);
    expect(isIpAllowed("1.2.3.4 ", ["0.0.0.0/0"])).toBe(false);
    expect(isIpAllowed("", ["0.0.0.0/0"])).toBe(false);
    expect(isIpAllowed("1.2.3.4", [])).toBe(false);
    expect(isIpAllowed("1.2.3.4", ["garbage", "1.2.3.4/33"])).toBe(false);
    expect(isIpAllowed("1.2.3.4", ["garbage", "1.2.3.0/24"])).toBe(true);
  });
});

describe("isPrivateOrSpecialIp", () => {
  it("flags private and special addresses", () => {
    for (const a of [
      "0.0.0.0",
      "0.1.2.3",
      "10.0.0.1",
      "100.64.0.1",
      "100.127.255.255",
      "127.0.0.1",
      "127.255.255.254",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "224.0.0.1",
      "239.255.255.255",
      "255.255.255.255",
      "::",
      "::1",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "febf::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:169.254.169.254",
      "64:ff9b::10.0.0.1",
    ]) {
      expect(isPrivateOrSpecialIp(ip(a)), a).toBe(true);
    }
  });

  it("does not flag public addresses", () => {
    for (const a of [
      "1.1.1.1",
      "8.8.8.8",
      "100.63.255.255",
      "100.128.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.167.255.255",
      "223.255.255.255",
      "2606:4700:4700::1111",
      "2001:4860:4860::8888",
      "::ffff:8.8.8.8",
    ]) {
      expect(isPrivateOrSpecialIp(ip(a)), a).toBe(false);
    }
  });
});
