// An identity's OIDC Auth page: the configuration form (attach or change), the dry run of a token, and
// removing OIDC Auth. The form's data is ./form-model.ts, its markup ./form.tsx.
import { Hono } from "../../hono";
import { dryRunOidcLogin, type DryRunResult } from "../../admin/dry-run";
import { attachOidcAuth, detachOidcAuth, getOidcAuth, updateOidcAuth } from "../../admin/oidc-auth";
import { whatIfOidcAuth, type WhatIfResult } from "../../admin/what-if";
import { Reason } from "../../errors";
import { configWarnings } from "../../oidc/config-policy";
import { MAX_ID_TOKEN_BYTES } from "../../constants";
import type { Identity, Organization } from "../../storage/records";
import { adminCtx, href, type ConsoleContext, type ConsoleEnv } from "../context";
import { submitForm, text, type FieldErrors } from "../forms";
import { identityCrumbs, identityPage, loadIdentity } from "../identities";
import { Card, ConfirmPage, Layout, render, uiOf, when, type Ui } from "../layout";
import { DryRunCard } from "./dry-run-card";
import { OidcForm } from "./form";
import { ConfigWarnings } from "./help";
import {
  defaultValues,
  errorsByField,
  inputFromForm,
  isPreset,
  valuesFromConfig,
  withPreset,
  type OidcFormValues,
} from "./form-model";
import { SCRIPT } from "./script";
import { WhatIfCard } from "./what-if-card";

interface PageState {
  /** what was typed, shown again with its errors */
  values?: OidcFormValues;
  errors?: FieldErrors;
  /** the dry run: the pasted token, and its result or why it was not checked */
  jwt?: string;
  result?: DryRunResult;
  dryRunError?: string;
  /** the preview of the typed values: the days asked for, and the result or why there is none */
  previewDays?: string;
  preview?: WhatIfResult;
  previewError?: string;
}

async function showOidcPage(c: ConsoleContext, status: 200 | 400 | 404 | 409 | 422, state: PageState = {}) {
  const { ctx, identity, org } = await loadIdentity(c, c.req.param("id")!);
  const attached = identity.authMethods.includes("oidc-auth");
  const config = attached ? await getOidcAuth(ctx, identity.id) : null;
  const ui = uiOf(c);
  const presetName = c.req.query("preset");
  const preset = c.req.method === "GET" && isPreset(presetName) ? presetName : undefined;
  let values = state.values ?? (config ? valuesFromConfig(config) : defaultValues());
  if (preset) values = withPreset(values, preset);
  return render(
    c,
    status,
    <Layout
      ui={ui}
      {...identityPage(org, identity, "oidc")}
      sub={attached ? <>OIDC Auth · last changed {when(config!.updatedAt)}</> : "Authentication"}
      done={c.req.query("done")}
      error={
        state.errors && Object.keys(state.errors).length
          ? `The configuration was not ${state.previewDays === undefined ? "saved" : "previewed"}: correct the fields marked below.`
          : undefined
      }
      script={SCRIPT}
    >
      {!attached && (
        <div class="alert info">
          <strong>This identity uses the default: no authentication method</strong>, so nothing can log in as it. Fill in this form to
          replace the default with <strong>OIDC Auth</strong>: CI jobs then log in with the ID token their platform issues them.
        </div>
      )}
      {config && <ConfigWarnings warnings={configWarnings(config)} />}
      <OidcForm ui={ui} identity={identity} values={values} errors={state.errors ?? {}} attached={attached} preset={preset} />
      {attached && (
        <>
          <div class="spacer" />
          <WhatIfCard identity={identity} days={state.previewDays ?? ""} result={state.preview} error={state.previewError} />
          <DryRunCard ui={ui} identity={identity} jwt={state.jwt ?? ""} result={state.result} error={state.dryRunError} />
          <Card
            title="Remove OIDC Auth"
            sub="The identity goes back to the default (no authentication); tokens issued under OIDC Auth stop working."
          >
            <a class="btn subtle-danger" href={href(`/identities/${identity.id}/oidc-auth/detach`)}>
              Remove OIDC Auth…
            </a>
          </Card>
        </>
      )}
    </Layout>,
  );
}

const DetachConfirm = (p: { ui: Ui; identity: Identity; org: Organization }) => (
  <ConfirmPage
    ui={p.ui}
    title="Remove OIDC Auth"
    crumbs={identityCrumbs(p.org, p.identity, "Remove OIDC Auth")}
    heading="Remove OIDC Auth?"
    card={p.identity.name}
    action={href(`/identities/${p.identity.id}/oidc-auth/detach`)}
    confirm="Remove OIDC Auth"
    back={href(`/identities/${p.identity.id}/oidc-auth`)}
  >
    <p>
      CI jobs can no longer log in as <strong>{p.identity.name}</strong>, and every access token issued under this configuration is
      refused at its next use (<code>auth_method_removed</code>). Attaching OIDC Auth again does not revive them.
    </p>
  </ConfirmPage>
);

export const oidcAuthRoutes = new Hono<ConsoleEnv>()
  .get("/identities/:id/oidc-auth", (c) => showOidcPage(c, 200))
  .post("/identities/:id/oidc-auth", async (c) => {
    const id = c.req.param("id");
    const { values, input, issues } = inputFromForm(c.var.form);
    if (issues.length) return showOidcPage(c, 422, { values, errors: errorsByField(issues, values) });
    const { ctx, identity } = await loadIdentity(c, id);
    const attached = identity.authMethods.includes("oidc-auth");
    return submitForm(
      c,
      async () => {
        if (attached) await updateOidcAuth(ctx, id, input);
        else await attachOidcAuth(ctx, id, input);
        return c.redirect(href(`/identities/${id}/oidc-auth?done=${attached ? "oidc-updated" : "oidc-attached"}`), 303);
      },
      (refusal) => {
        if (refusal.status === 422) return showOidcPage(c, 422, { values, errors: errorsByField(refusal.issues, values) });
        // Someone attached or detached meanwhile: show the form again with what was typed.
        if (refusal.is(Reason.auth_method_exists, Reason.oidc_auth_not_configured)) {
          return showOidcPage(c, refusal.status, { values, errors: { _form: [`${refusal.message}. Review and save again.`] } });
        }
        return undefined;
      },
    );
  })
  .post("/identities/:id/oidc-auth/preview", async (c) => {
    // The configuration form, sent by the Preview button of ./what-if-card.tsx: replayed, not saved.
    const { values, input, issues } = inputFromForm(c.var.form);
    const previewDays = text(c.var.form, "previewDays");
    if (issues.length) return showOidcPage(c, 422, { values, errors: errorsByField(issues, values), previewDays });
    const days = previewDays === "" ? {} : { days: previewDays };
    return submitForm(
      c,
      async () =>
        showOidcPage(c, 200, {
          values,
          previewDays,
          preview: await whatIfOidcAuth(adminCtx(c), c.req.param("id"), { ...input, ...days }),
        }),
      (refusal) => {
        if (refusal.is(Reason.invalid_request))
          return showOidcPage(c, 422, { values, previewDays, previewError: refusal.issues[0]?.message ?? refusal.message });
        if (refusal.status === 422)
          return showOidcPage(c, 422, { values, previewDays, errors: errorsByField(refusal.issues, values) });
        return undefined;
      },
    );
  })
  .post("/identities/:id/oidc-auth/test", async (c) => {
    const jwt = (c.var.form.get("jwt") ?? "").trim();
    if (!jwt) return showOidcPage(c, 422, { jwt, dryRunError: "Paste an ID token first" });
    if (jwt.length > MAX_ID_TOKEN_BYTES) {
      return showOidcPage(c, 422, { jwt: "", dryRunError: `An ID token is at most ${MAX_ID_TOKEN_BYTES} characters` });
    }
    const result = await dryRunOidcLogin(adminCtx(c), c.req.param("id"), jwt);
    return showOidcPage(c, 200, { jwt, result });
  })
  .get("/identities/:id/oidc-auth/detach", async (c) => {
    const { identity, org } = await loadIdentity(c, c.req.param("id"));
    return render(c, 200, <DetachConfirm ui={uiOf(c)} identity={identity} org={org} />);
  })
  .post("/identities/:id/oidc-auth/detach", async (c) => {
    await detachOidcAuth(adminCtx(c), c.req.param("id"));
    return c.redirect(href(`/identities/${c.req.param("id")}?done=oidc-detached`), 303);
  });
