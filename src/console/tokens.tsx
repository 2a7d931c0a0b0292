import { Hono } from "../hono";
import { listIdentityTokens, revokeAllIdentityTokens, revokeIdentityToken } from "../admin/tokens";
import { adminCtx, href, type ConsoleEnv } from "./context";
import { identityCrumbs, identityPage, loadIdentity } from "./identities";
import { ConfirmPage, Layout, PostButton, render, uiOf, when, relative } from "./layout";
import { Empty, ListCard } from "./list";

export const tokenRoutes = new Hono<ConsoleEnv>()
  .get("/identities/:id/tokens", async (c) => {
    const { ctx, identity, org } = await loadIdentity(c, c.req.param("id"));
    const tokens = await listIdentityTokens(ctx, identity.id);
    const ui = uiOf(c);
    const live = tokens.filter((t) => t.revokedAt === null).length;
    return render(
      c,
      200,
      <Layout ui={ui} {...identityPage(org, identity, "tokens")} sub="Access tokens" done={c.req.query("done")}>
        <ListCard
          title="Live access tokens"
          sub={`${live} active, ${tokens.length - live} revoked, not yet expired. Revoking is immediate: the next use anywhere is refused.`}
          items={tokens}
          empty={<Empty title="No live tokens">Tokens appear here when a CI job logs in as this identity.</Empty>}
          heads={["Token ID", "Issued", "Expires", "Uses", "From", "Status", ""]}
          tableClass="list compact"
          tableId="tokens"
          row={(t) => (
            <tr data-token-id={t.id}>
              <td>
                <code>{t.id}</code>
              </td>
              <td class="muted nowrap">{when(t.firstIssuedAt)}</td>
              <td class="nowrap">
                <div title={when(t.expiresAt)}>{relative(t.expiresAt)}</div>
                <div class="muted small" title={when(t.maxExpiresAt)}>
                  max TTL {relative(t.maxExpiresAt)}
                </div>
              </td>
              <td>{t.numUsesLimit === 0 ? "unlimited" : `limit ${t.numUsesLimit}`}</td>
              <td>{t.clientIp ? <code>{t.clientIp}</code> : <span class="muted">unknown</span>}</td>
              <td>{t.revokedAt === null ? <span class="badge ok">active</span> : <span class="badge bad">revoked</span>}</td>
              <td class="actions">
                {t.revokedAt === null && (
                  <PostButton ui={ui} action={href(`/identities/${identity.id}/tokens/${t.id}/revoke`)} class="btn sm subtle-danger">
                    Revoke
                  </PostButton>
                )}
              </td>
            </tr>
          )}
        />
        <p class="muted small">
          Expired tokens are not listed. A token's current use count lives in the identity's Durable Object and is not shown here.
        </p>
        <p>
          <a class="btn subtle-danger" href={href(`/identities/${identity.id}/tokens/revoke-all`)}>
            Revoke all tokens
          </a>
        </p>
      </Layout>,
    );
  })
  .get("/identities/:id/tokens/revoke-all", async (c) => {
    const { identity, org } = await loadIdentity(c, c.req.param("id"));
    return render(
      c,
      200,
      <ConfirmPage
        ui={uiOf(c)}
        title={`Revoke all tokens of ${identity.name}`}
        crumbs={identityCrumbs(org, identity, "Revoke all tokens")}
        heading={`Revoke every access token of ${identity.name}?`}
        card="Every token issued until now stops working"
        action={href(`/identities/${identity.id}/tokens/revoke-all`)}
        confirm="Revoke all tokens"
        back={href(`/identities/${identity.id}/tokens`)}
      >
        <p>
          Every access token the machine identity <strong>{identity.name}</strong> (<code>{identity.id}</code>) was issued until now,
          listed or not, is refused at its next use with token_revoked, wherever it is used.
        </p>
        <p>CI jobs can log in again at once: only tokens issued after this are accepted.</p>
      </ConfirmPage>,
    );
  })
  .post("/identities/:id/tokens/revoke-all", async (c) => {
    const { id } = c.req.param();
    await revokeAllIdentityTokens(adminCtx(c), id);
    return c.redirect(href(`/identities/${id}/tokens?done=tokens-revoked`), 303);
  })
  .post("/identities/:id/tokens/:tokenId/revoke", async (c) => {
    const { id, tokenId } = c.req.param();
    await revokeIdentityToken(adminCtx(c), id, tokenId);
    return c.redirect(href(`/identities/${id}/tokens?done=token-revoked`), 303);
  });
