import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/cache/wait-for";
import { SingleFlight } from "../../src/oidc/single-flight";

const later = <T>(ms: number, fn: () => T) =>
  new Promise<T>((resolve, reject) =>
    setTimeout(() => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    }, ms),
  );

describe("SingleFlight", () => {
  it("runs one load for concurrent callers of a key, and all get its value", async () => {
    const flights = new SingleFlight<string>();
    let loads = 0;
    const results = await Promise.all(Array.from({ length: 10 }, () => flights.run("k", () => later(20, () => `v${++loads}`))));
    expect(loads).toBe(1);
    expect(new Set(results)).toEqual(new Set(["v1"]));
    expect(flights.pending("k")).toBeUndefined(); // nothing in flight any more
  });

  it("when the shared load fails, each waiting caller loads on its own", async () => {
    const flights = new SingleFlight<string>();
    let loads = 0;
    const leader = flights.run("k", () =>
      later(20, () => {
        loads++;
        throw new Error("IdP down");
      }),
    );
    const pending = flights.pending("k");
    const joiners = Array.from({ length: 3 }, () => flights.run("k", () => later(1, () => `own${++loads}`)));
    await expect(leader).rejects.toThrow("IdP down");
    await expect(pending).rejects.toThrow();
    expect((await Promise.all(joiners)).sort()).toEqual(["own2", "own3", "own4"]);
  });
});

describe("waitFor", () => {
  it("is true once the condition holds, false when the time is up first", async () => {
    let done = false;
    setTimeout(() => (done = true), 10);
    expect(await waitFor(() => done, { pollMs: 1, timeoutMs: 1_000 })).toBe(true);
    expect(await waitFor(() => false, { pollMs: 1, timeoutMs: 20 })).toBe(false);
  });
});
