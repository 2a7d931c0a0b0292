import { describe, expect, it } from "vitest";
import { checkFetchableUrl, checkPublishedUrl, discoveryDocumentUrl } from "../../src/oidc/url-policy";

const strict = { allowInsecure: false };
const insecure = { allowInsecure: true };

function reason(raw: string, opts = strict): string | null {
  const result = checkFetchableUrl(raw, opts);
  return result.ok ? null : result.reason;
}

describe("checkFetchableUrl (strict)", () => {
  it("accepts public https URLs and returns the parsed URL", () => {
    const result = checkFetchableUrl("https://gitlab.com", strict);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.url.href).toBe("https://gitlab.com/");
    expect(reason("https://token.actions.githubusercontent.com/.well-known/jwks")).toBeNull();
    expect(reason("https://idp.example.com:8443/realms/ci?x=1")).toBeNull();
    expect(reason("https://example.com./")).toBeNull();
    expect(reason("https://xn--bcher-kva.example/")).toBeNull();
  });

  it("refuses unparsable URLs", () => {
    expect(reason("")).toBe("must be a valid absolute URL");
    expect(reason("not-a-url")).toBe("must be a valid absolute URL");
    expect(reason("not a url")).toBe("must not contain spaces or control characters");
    expect(reason("/relative/path")).toBe("must be a valid absolute URL");
    expect(reason("https://")).toBe("must be a valid absolute URL");
  });

  it("requires https", () => {
    expect(reason("http://gitlab.com")).toBe("must use https");
  });

  it("refuses other schemes", () => {
    for (const raw of ["ftp://example.com/", "file:///etc/passwd", "data:text/plain,hi", "javascript:alert(1)", "ws://example.com/"]) {
      expect(reason(raw), raw).toBe("must use https");
      expect(reason(raw, insecure), raw).toBe("must use http or https");
    }
  });

  it("refuses credentials", () => {
    expect(reason("https://user:pass@example.com/")).toBe("must not contain credentials");
    expect(reason("https://user@example.com/")).toBe("must not contain credentials");
    expect(reason("https://:pass@example.com/")).toBe("must not contain credentials");
  });

  it("refuses fragments, including an empty one", () => {
    expect(reason("https://example.com/#frag")).toBe("must not contain a fragment");
    expect(reason("https://example.com/#")).toBe("must not contain a fragment");
  });

  it("refuses IP literals in every spelling", () => {
    for (const raw of [
      "https://127.0.0.1/",
      "https://8.8.8.8/",
      "https://2130706433/",
      "https://0x7f.1/",
      "https://0177.0.0.1/",
      "https://127.1/",
      "https://0x7f000001/",
      "https://[::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://[2001:db8::1]:8443/",
    ]) {
      expect(reason(raw), raw).toBe("must not be an IP address");
    }
  });

  it("refuses localhost", () => {
    expect(reason("https://localhost/")).toBe("must not be localhost");
    expect(reason("https://LOCALHOST:8443/")).toBe("must not be localhost");
    expect(reason("https://localhost./")).toBe("must not be localhost");
    expect(reason("https://idp.localhost/")).toBe("must not be localhost");
  });

  it("refuses local and internal names", () => {
    for (const raw of [
      "https://printer.local/",
      "https://idp.corp.internal/",
      "https://router.home.arpa/",
      "https://home.arpa/",
      "https://box.localdomain/",
      "https://idp.internal./",
    ]) {
      expect(reason(raw), raw).toBe("must not be a local or internal name");
    }
    expect(reason("https://local.example.com/")).toBeNull();
    expect(reason("https://internal.example.com/")).toBeNull();
  });

  it("refuses single-label names", () => {
    expect(reason("https://intranet/")).toBe("must be a fully qualified domain name");
    expect(reason("https://intranet./")).toBe("must be a fully qualified domain name");
  });
});

describe("checkFetchableUrl (allowInsecure)", () => {
  it("allows http, loopback, IPs and local names", () => {
    for (const raw of [
      "http://127.0.0.1:8787/",
      "http://localhost:9000/.well-known/jwks",
      "https://[::1]:8443/",
      "http://idp/",
      "http://printer.local/",
    ]) {
      expect(reason(raw, insecure), raw).toBeNull();
    }
  });

  it("still refuses credentials and fragments", () => {
    expect(reason("http://u:p@127.0.0.1/", insecure)).toBe("must not contain credentials");
    expect(reason("http://127.0.0.1/#x", insecure)).toBe("must not contain a fragment");
  });
});

describe("discoveryDocumentUrl", () => {
  it("appends the well-known path", () => {
    expect(discoveryDocumentUrl("https://gitlab.com")).toBe("https://gitlab.com/.well-known/openid-configuration");
    expect(discoveryDocumentUrl("https://gitlab.com/")).toBe("https://gitlab.com/.well-known/openid-configuration");
  });

  it("keeps a path component", () => {
    expect(discoveryDocumentUrl("https://idp.example.com/realms/ci")).toBe(
      "https://idp.example.com/realms/ci/.well-known/openid-configuration",
    );
    expect(discoveryDocumentUrl("https://idp.example.com/realms/ci/")).toBe(
      "https://idp.example.com/realms/ci/.well-known/openid-configuration",
    );
  });

  it("leaves a complete discovery URL alone", () => {
    const url = "https://token.actions.githubusercontent.com/.well-known/openid-configuration";
    expect(discoveryDocumentUrl(url)).toBe(url);
  });
});

describe("ports", () => {
  const published = (raw: string, configured: string, opts = strict) => {
    const result = checkPublishedUrl(raw, configured, opts);
    return result.ok ? null : result.reason;
  };
  const PORT = "must be on port 443, or on the port the configured URL names";

  it("a configured URL may name any port: the admin chose it", () => {
    expect(reason("https://idp.example.com:8443/realms/ci")).toBeNull();
    expect(reason("https://idp.example.com:22/")).toBeNull();
  });

  it("a published jwks_uri is on 443 (written or not) when the configured URL names no port", () => {
    expect(published("https://idp.example.com/keys", "https://idp.example.com")).toBeNull();
    expect(published("https://idp.example.com:443/keys", "https://idp.example.com")).toBeNull();
    for (const port of ["8443", "22", "6379", "80", "1"]) {
      expect(published(`https://idp.example.com:${port}/keys`, "https://idp.example.com"), port).toBe(PORT);
    }
  });

  it("a published jwks_uri may use the port the configured URL names, and no other", () => {
    expect(published("https://idp.example.com:8443/keys", "https://idp.example.com:8443/realms/ci")).toBeNull();
    expect(published("https://idp.example.com/keys", "https://idp.example.com:8443/realms/ci")).toBeNull();
    expect(published("https://idp.example.com:9000/keys", "https://idp.example.com:8443/realms/ci")).toBe(PORT);
  });

  it("the other rules still come first", () => {
    expect(published("http://idp.example.com:8443/keys", "https://idp.example.com:8443")).toBe("must use https");
    expect(published("https://10.0.0.1:8443/keys", "https://idp.example.com:8443")).toBe("must not be an IP address");
  });

  it("allowInsecure (local development, tests) keeps loopback http on any port", () => {
    expect(published("http://127.0.0.1:39123/jwks", "http://127.0.0.1:39123", insecure)).toBeNull();
    expect(published("http://127.0.0.1:40000/jwks", "http://127.0.0.1:39123", insecure)).toBeNull();
  });
});
