// The placement model of `npm run bench:global` (docs/performance.md, "Latency from every region"): where
// each binding lives, and the round-trip time from a runner's region to it. Pure data and functions, shared
// by the bench (Node) and the delay wrappers it bundles into the Worker (workerd).
//
// Sources (named in docs/performance.md):
// - Inter-region round trips: approximate medians read from cloudping.co's AWS inter-region latency matrix
//   (one AWS region stands for each Cloudflare region below), rounded to 5 ms; not re-measured here.
//   BENCH_GLOBAL_RTT=<file.json> replaces the table ({ "a|b": ms }).
// - D1: one primary (location hint `enam` here); read replicas in ENAM, WNAM, WEUR, EEUR, APAC, OC, reached
//   only through the Sessions API (developers.cloudflare.com/d1/best-practices/read-replication/).
// - Durable Objects: created near the request that first reaches them, or at the `locationHint` of that
//   first `get()` (wnam, enam, sam, weur, eeur, apac, oc, afr, me); never moved
//   (developers.cloudflare.com/durable-objects/reference/data-location/).
// - KV: hot reads are served from the colo's cache (the hottest keys in under 1 ms,
//   blog.cloudflare.com/faster-workers-kv, 2024-09-26); a cold read goes to "a small number of centralized
//   data centers" (developers.cloudflare.com/kv/concepts/how-kv-works/). Where those are is not published:
//   modelled here as the nearer of ENAM and WEUR (an assumption).
// - Colo to a service in the same region: 2 ms (an assumption; Cloudflare publishes no intra-region figure).

/** Runner regions: name -> the Cloudflare region (DO location hint) nearest to it, and the AWS region standing in. */
export const RUNNER_REGIONS = {
  "us-east": { hint: "enam", aws: "us-east-1" },
  "us-west": { hint: "wnam", aws: "us-west-2" },
  "eu-west": { hint: "weur", aws: "eu-west-1" },
  "ap-southeast": { hint: "apac", aws: "ap-southeast-1" },
  "sa-east": { hint: "sam", aws: "sa-east-1" },
  "af-south": { hint: "afr", aws: "af-south-1" },
};

/** Cloudflare regions (the DO location hints) and the AWS region standing in for each. */
export const CF_REGIONS = {
  enam: "us-east-1",
  wnam: "us-west-2",
  weur: "eu-west-1",
  eeur: "eu-central-1",
  apac: "ap-southeast-1",
  oc: "ap-southeast-2",
  sam: "sa-east-1",
  afr: "af-south-1",
  me: "me-south-1",
};

/** Round trips between AWS regions, ms (cloudping.co medians, approximate, rounded to 5 ms). */
export const AWS_RTT_MS = {
  "us-east-1|us-west-2": 65,
  "us-east-1|eu-west-1": 70,
  "us-east-1|eu-central-1": 90,
  "us-east-1|ap-southeast-1": 215,
  "us-east-1|ap-southeast-2": 200,
  "us-east-1|sa-east-1": 115,
  "us-east-1|af-south-1": 225,
  "us-east-1|me-south-1": 165,
  "us-west-2|eu-west-1": 125,
  "us-west-2|eu-central-1": 145,
  "us-west-2|ap-southeast-1": 165,
  "us-west-2|ap-southeast-2": 140,
  "us-west-2|sa-east-1": 175,
  "us-west-2|af-south-1": 285,
  "us-west-2|me-south-1": 230,
  "eu-west-1|eu-central-1": 25,
  "eu-west-1|ap-southeast-1": 175,
  "eu-west-1|ap-southeast-2": 255,
  "eu-west-1|sa-east-1": 180,
  "eu-west-1|af-south-1": 160,
  "eu-west-1|me-south-1": 95,
  "eu-central-1|ap-southeast-1": 160,
  "eu-central-1|ap-southeast-2": 250,
  "eu-central-1|sa-east-1": 200,
  "eu-central-1|af-south-1": 155,
  "eu-central-1|me-south-1": 85,
  "ap-southeast-1|ap-southeast-2": 95,
  "ap-southeast-1|sa-east-1": 325,
  "ap-southeast-1|af-south-1": 290,
  "ap-southeast-1|me-south-1": 90,
  "ap-southeast-2|sa-east-1": 310,
  "ap-southeast-2|af-south-1": 385,
  "ap-southeast-2|me-south-1": 180,
  "sa-east-1|af-south-1": 340,
  "sa-east-1|me-south-1": 300,
  "af-south-1|me-south-1": 205,
};

/** Colo to a service in the same region (assumption), and a hot KV read from the colo's cache. */
export const SAME_REGION_MS = 2;
export const KV_HOT_MS = 1;
/** KV's cache keeps a key this long after a read (`cacheTtl` default 60 s, developers.cloudflare.com/kv). */
export const KV_HOT_FOR_MS = 60_000;

export const D1_PRIMARY = "enam";
export const D1_REPLICAS = ["enam", "wnam", "weur", "eeur", "apac", "oc"];
/** Where KV's central stores are modelled (assumption: not published). */
export const KV_CENTRAL = ["enam", "weur"];

/** Round trip between two Cloudflare regions, ms. */
export function cfRtt(a, b, table = AWS_RTT_MS) {
  if (a === b) return SAME_REGION_MS;
  const x = CF_REGIONS[a];
  const y = CF_REGIONS[b];
  const ms = table[`${x}|${y}`] ?? table[`${y}|${x}`];
  if (ms === undefined) throw new Error(`no RTT for ${a} (${x}) and ${b} (${y})`);
  return ms;
}

const nearest = (from, candidates, table) => Math.min(...candidates.map((c) => cfRtt(from, c, table)));

/** The round trips a runner region sees, by binding and placement. `home`: the Durable Object's region. */
export function placementRtts(region, table = AWS_RTT_MS) {
  const at = RUNNER_REGIONS[region]?.hint;
  if (!at) throw new Error(`unknown runner region ${region}`);
  return {
    kvHot: KV_HOT_MS,
    kvCold: nearest(at, KV_CENTRAL, table),
    d1Primary: cfRtt(at, D1_PRIMARY, table),
    d1Replica: nearest(at, D1_REPLICAS, table),
    doTo: (home) => cfRtt(at, home, table),
  };
}
