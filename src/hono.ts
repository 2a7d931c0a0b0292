import { HonoBase, type HonoOptions } from "hono/hono-base";
import { TrieRouter } from "hono/router/trie-router";
import type { BlankEnv, BlankSchema, Env, Schema } from "hono/types";

/**
 * Hono with TrieRouter alone. Hono's default preset (`import { Hono } from "hono"`) is a SmartRouter that
 * tries RegExpRouter first and falls back to TrieRouter for patterns RegExpRouter cannot compile. Ours
 * include such patterns (RegExpRouter alone threw UnsupportedPathError on
 * `/api/v1/identities/:id/access-tokens/revoke-all` and on the console's `/identities/:id/tokens/:tokenId/revoke`),
 * so the default preset was already routing with TrieRouter, and carried RegExpRouter and SmartRouter in
 * the bundle for nothing: 1.9 KiB gzipped (docs/performance.md, "Bundle").
 */
export class Hono<E extends Env = BlankEnv, S extends Schema = BlankSchema, BasePath extends string = "/"> extends HonoBase<
  E,
  S,
  BasePath
> {
  constructor(options: HonoOptions<E> = {}) {
    super(options);
    this.router = options.router ?? new TrieRouter();
  }
}
