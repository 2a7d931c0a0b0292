import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { dryRunOidcLogin, type DryRunResult, type DryRunRule } from "../admin/dry-run";
import { attachOidcAuth, detachOidcAuth, getOidcAuth, updateOidcAuth } from "../admin/oidc-auth";
import { DEFAULT_TRUSTED_IPS, OIDC_DEFAULT_TTL_SECONDS } from "../constants";
import { Reason } from "../errors";
import { MAX_ID_TOKEN_LENGTH } from "../http/routes/login";
import type { Identity, OidcAuthConfig, Organization } from "../storage/records";
import { adminCtx, href, type ConsoleContext, type ConsoleEnv } from "./context";
import { submitForm, type FieldIssue } from "./forms";
import { identityCrumbs, identityTabs, loadIdentity } from "./identities";
import { Card, Field, Layout, PostButton, PostForm, render, uiOf, when, duration, type Ui } from "./layout";

// ---------------------------------------------------------------------------------------------------
// The form's values: what the admin typed (or the saved configuration, or the defaults).

export interface OidcFormValues {
  oidcDiscoveryUrl: string;
  boundIssuer: string;
  caCert: string;
  boundSubject: string;
  boundAudiences: string;
  claims: [string, string][];
  metadata: [string, string][];
  accessTokenTTL: string;
  accessTokenMaxTTL: string;
  accessTokenNumUsesLimit: string;
  trustedIps: string;
  jwksUrl: string;
  jwksJson: string;
}

const defaults = (): OidcFormValues => ({
  oidcDiscoveryUrl: "",
  boundIssuer: "",
  caCert: "",
  boundSubject: "",
  boundAudiences: "",
  claims: [],
  metadata: [],
  accessTokenTTL: String(OIDC_DEFAULT_TTL_SECONDS),
  accessTokenMaxTTL: String(OIDC_DEFAULT_TTL_SECONDS),
  accessTokenNumUsesLimit: "0",
  trustedIps: DEFAULT_TRUSTED_IPS.join("\n"),
  jwksUrl: "",
  jwksJson: "",
});

const fromConfig = (c: OidcAuthConfig): OidcFormValues => ({
  oidcDiscoveryUrl: c.oidcDiscoveryUrl,
  boundIssuer: c.boundIssuer,
  caCert: c.caCert,
  boundSubject: c.boundSubject,
  boundAudiences: c.boundAudiences,
  claims: Object.entries(c.boundClaims),
  metadata: Object.entries(c.claimMetadataMapping ?? {}),
  accessTokenTTL: String(c.accessTokenTTL),
  accessTokenMaxTTL: String(c.accessTokenMaxTTL),
  accessTokenNumUsesLimit: String(c.accessTokenNumUsesLimit),
  trustedIps: c.accessTokenTrustedIps.map((i) => i.ipAddress).join("\n"),
  jwksUrl: c.jwksUrl ?? "",
  jwksJson: c.jwksJson ?? "",
});

/** Issuer presets: the two shared issuers CI jobs use most. Only issuer and discovery URL are filled in. */
export const PRESETS = {
  gitlab: {
    label: "GitLab.com",
    issuer: "https://gitlab.com",
    subject: "project_path:mygroup/myproject:ref_type:branch:ref:main",
  },
  github: {
    label: "GitHub Actions",
    issuer: "https://token.actions.githubusercontent.com",
    subject: "repo:octo-org/octo-repo:ref:refs/heads/main",
  },
} as const;
type PresetName = keyof typeof PRESETS;
const isPreset = (p: string | undefined): p is PresetName => p === "gitlab" || p === "github";

/** Rows of a key/value grid: pairs by position, blank rows dropped, and what is wrong with the rest. */
function pairs(form: URLSearchParams, keyName: string, valueName: string): [string, string][] {
  const keys = form.getAll(keyName);
  const values = form.getAll(valueName);
  const out: [string, string][] = [];
  for (let i = 0; i < Math.max(keys.length, values.length); i++) {
    const k = (keys[i] ?? "").trim();
    const v = (values[i] ?? "").trim();
    if (k || v) out.push([k, v]);
  }
  return out;
}

/** Builds the service's raw input from the form; row problems the service cannot see are reported here. */
export function inputFromForm(form: URLSearchParams): { values: OidcFormValues; input: Record<string, unknown>; issues: FieldIssue[] } {
  const get = (name: string) => form.get(name) ?? "";
  const values: OidcFormValues = {
    oidcDiscoveryUrl: get("oidcDiscoveryUrl").trim(),
    boundIssuer: get("boundIssuer").trim(),
    caCert: get("caCert").trim(),
    boundSubject: get("boundSubject").trim(),
    boundAudiences: get("boundAudiences").trim(),
    claims: pairs(form, "claimKey", "claimValue"),
    metadata: pairs(form, "metaKey", "metaClaim"),
    accessTokenTTL: get("accessTokenTTL").trim(),
    accessTokenMaxTTL: get("accessTokenMaxTTL").trim(),
    accessTokenNumUsesLimit: get("accessTokenNumUsesLimit").trim(),
    trustedIps: get("trustedIps").trim(),
    jwksUrl: get("jwksUrl").trim(),
    jwksJson: get("jwksJson").trim(),
  };
  const issues: FieldIssue[] = [];
  const record = (rows: [string, string][], field: string, what: string) => {
    const out: Record<string, string> = {};
    rows.forEach(([k, v], i) => {
      if (!k) issues.push({ field, message: `row ${i + 1}: enter the ${what} name for “${v}”` });
      else if (Object.hasOwn(out, k)) issues.push({ field, message: `“${k}” appears twice` });
      else out[k] = v;
    });
    return out;
  };
  const boundClaims = record(values.claims, "boundClaims", "claim");
  const mapping = record(values.metadata, "claimMetadataMapping", "metadata key");
  const input: Record<string, unknown> = {
    oidcDiscoveryUrl: values.oidcDiscoveryUrl,
    boundIssuer: values.boundIssuer,
    caCert: values.caCert,
    boundSubject: values.boundSubject,
    boundAudiences: values.boundAudiences,
    boundClaims,
    claimMetadataMapping: Object.keys(mapping).length ? mapping : null,
    accessTokenTTL: values.accessTokenTTL,
    accessTokenMaxTTL: values.accessTokenMaxTTL,
    accessTokenNumUsesLimit: values.accessTokenNumUsesLimit,
    accessTokenTrustedIps: ipList(values.trustedIps).map((ipAddress) => ({ ipAddress })),
    jwksUrl: values.jwksUrl || null,
    jwksJson: values.jwksJson || null,
  };
  return { values, input, issues };
}

const ipList = (text: string) => text.split(/[\s,]+/).filter(Boolean);

const NUMBER_FIELDS = new Set(["accessTokenTTL", "accessTokenMaxTTL", "accessTokenNumUsesLimit"]);

/** The service's issues as messages per form field, worded for the form (which entry, which claim). */
export function errorsByField(issues: FieldIssue[], values: OidcFormValues): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const ips = ipList(values.trustedIps);
  for (const { field, message } of issues) {
    const [head = "_form", ...rest] = field.split(".");
    let text = message;
    if (head === "accessTokenTrustedIps" && rest.length && /^\d+$/.test(rest[0]!)) {
      const i = Number(rest[0]);
      text = `“${ips[i] ?? ""}” (entry ${i + 1}): ${message}`;
    } else if ((head === "boundClaims" || head === "claimMetadataMapping") && rest.length) {
      text = `${rest.join(".")}: ${message}`;
    } else if (NUMBER_FIELDS.has(head) && /expected number/i.test(message)) {
      text = head === "accessTokenNumUsesLimit" ? "must be a whole number (0 = unlimited)" : "must be a whole number of seconds (0 = no limit)";
    }
    (out[head] ??= []).push(text);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Rendering

const PatternHelp = () => (
  <details class="explain">
    <summary>Pattern language</summary>
    <div>
      <p>
        The subject is one pattern; audiences and each claim value are comma-separated lists of patterns, any one of which may match.
      </p>
      <table>
        <tbody>
          <tr>
            <td>
              <code>*</code>
            </td>
            <td>
              any run of characters except <code>/</code> (also the empty run)
            </td>
          </tr>
          <tr>
            <td>
              <code>**</code>
            </td>
            <td>
              any run of characters, <code>/</code> included
            </td>
          </tr>
          <tr>
            <td>
              <code>?</code>
            </td>
            <td>
              exactly one character other than <code>/</code>
            </td>
          </tr>
          <tr>
            <td>anything else</td>
            <td>itself, exactly: case-sensitive, no normalisation</td>
          </tr>
        </tbody>
      </table>
      <p>
        No negation, no braces, no escaping; a comma always separates entries. A pattern never matches a missing claim, not even{" "}
        <code>*</code>. A boolean claim matches <code>true</code>/<code>false</code>, a number its decimal text, an array if any element
        matches. Claim names may be dot paths into nested objects (<code>a.b.c</code>).
      </p>
    </div>
  </details>
);

const SharedIssuerWarning = () => (
  <div class="alert warn">
    <strong>Shared issuers are shared.</strong> Anyone with an account on gitlab.com or github.com can mint a token for any audience: a
    configuration that binds only issuer and audience admits the whole world. Bind the subject or at least one identifying claim (for
    GitLab, <code>project_id</code> plus <code>ref_protected = true</code>; for GitHub, <code>repository_id</code> or the subject).
  </div>
);

const KvRows = (p: {
  id: string;
  rows: [string, string][];
  blank: number;
  names: [string, string];
  heads: [string, string];
  placeholders: [string, string];
  invalid?: boolean;
}) => {
  const rows = [...p.rows, ...Array.from({ length: p.blank }, () => ["", ""] as [string, string])];
  return (
    <>
      <div class="kv" id={p.id}>
        <div class="kv-head">{p.heads[0]}</div>
        <div class="kv-head">{p.heads[1]}</div>
        {rows.map(([k, v], i) => (
          <>
            {([k, v] as const).map((value, col) => (
              <input
                type="text"
                class={`mono${p.invalid ? " invalid" : ""}`}
                name={p.names[col]}
                value={value}
                placeholder={i === 0 ? p.placeholders[col] : ""}
                aria-label={`${p.heads[col]} ${i + 1}`}
              />
            ))}
          </>
        ))}
      </div>
      <button type="button" class="btn sm link" data-add-row={p.id} hidden>
        + Add a row
      </button>
    </>
  );
};

const secondsHint = (v: string) => (/^\d{1,10}$/.test(v) ? ` Now: ${duration(Number(v))}.` : "");

function OidcForm(p: { ui: Ui; identity: Identity; values: OidcFormValues; errors: Record<string, string[]>; attached: boolean; preset?: PresetName }) {
  const v = p.values;
  const e = p.errors;
  const subjectPlaceholder = p.preset ? PRESETS[p.preset].subject : PRESETS.gitlab.subject;
  return (
    <PostForm ui={p.ui} action={href(`/identities/${p.identity.id}/oidc-auth`)} id="oidc-form">
      <Card
        title="Identity provider"
        sub="Where ID tokens come from and how their signatures are checked."
        actions={
          <div class="presets">
            <span class="label small muted">Presets</span>
            {(Object.keys(PRESETS) as PresetName[]).map((name) => (
              <a
                class="btn sm"
                href={href(`/identities/${p.identity.id}/oidc-auth?preset=${name}`)}
                data-preset={name}
                data-issuer={PRESETS[name].issuer}
                data-subject={PRESETS[name].subject}
              >
                {PRESETS[name].label}
              </a>
            ))}
          </div>
        }
      >
        <div class="cols">
          <Field
            label="OIDC discovery URL"
            for="oidcDiscoveryUrl"
            errors={e.oidcDiscoveryUrl}
            help={
              <>
                The issuer's base URL; <code>/.well-known/openid-configuration</code> is appended. GitLab: <code>https://gitlab.com</code>{" "}
                (self-managed: the instance URL). GitHub: <code>https://token.actions.githubusercontent.com</code> (GHES:{" "}
                <code>https://HOST/_services/token</code>).
              </>
            }
          >
            <input type="url" id="oidcDiscoveryUrl" name="oidcDiscoveryUrl" value={v.oidcDiscoveryUrl} class="mono" required />
          </Field>
          <Field
            label="Issuer"
            for="boundIssuer"
            errors={e.boundIssuer}
            help={
              <>
                Must equal the token's <code>iss</code> byte for byte, and the discovery document's <code>issuer</code>. Usually the same as
                the discovery URL.
              </>
            }
          >
            <input type="text" id="boundIssuer" name="boundIssuer" value={v.boundIssuer} class="mono" required />
          </Field>
        </div>
        <Field
          label="CA certificate"
          for="caCert"
          optional
          errors={e.caCert}
          help="PEM (-----BEGIN CERTIFICATE-----) of the CA behind a self-managed IdP's TLS certificate. Stored for compatibility with Infisical; a Worker's outbound requests use the platform's trust store, so for an IdP behind a private CA supply its JWKS under Advanced instead."
        >
          <textarea id="caCert" name="caCert" rows={3} placeholder="-----BEGIN CERTIFICATE-----">
            {v.caCert}
          </textarea>
        </Field>
      </Card>

      <Card title="Which tokens may log in" sub="Checked in this order after the signature: subject, audiences, then every claim.">
        <SharedIssuerWarning />
        <Field
          label="Subject"
          for="boundSubject"
          errors={e.boundSubject}
          help={
            <>
              One pattern for <code>sub</code>. GitLab: <code>project_path:GROUP/PROJECT:ref_type:branch|tag:ref:NAME</code>. GitHub:{" "}
              <code>repo:OWNER/REPO:ref:refs/heads/BRANCH</code>, <code>repo:O/R:environment:E</code>, <code>repo:O/R:pull_request</code>{" "}
              (a <code>:</code> inside a value is written <code>%3A</code>).
            </>
          }
        >
          <input type="text" id="boundSubject" name="boundSubject" value={v.boundSubject} class="mono" placeholder={subjectPlaceholder} />
        </Field>
        <Field
          label="Audiences"
          for="boundAudiences"
          errors={e.boundAudiences}
          help={
            <>
              Comma-separated patterns; one must match an <code>aud</code> entry. GitLab: the <code>aud</code> your job's{" "}
              <code>id_tokens:</code> asks for. GitHub: defaults to <code>https://github.com/OWNER</code>.
            </>
          }
        >
          <input type="text" id="boundAudiences" name="boundAudiences" value={v.boundAudiences} class="mono" placeholder="https://edge-oidc-auth.example" />
        </Field>
        <div class={`field${e.boundClaims ? " invalid" : ""}`}>
          <span class="label">Claims</span>
          <KvRows
            id="claims-rows"
            rows={v.claims}
            blank={v.claims.length ? 1 : 2}
            names={["claimKey", "claimValue"]}
            heads={["Claim", "Allowed values (patterns)"]}
            placeholders={["ref_protected", "true"]}
            invalid={!!e.boundClaims}
          />
          {e.boundClaims?.map((m) => <div class="err">{m}</div>)}
          <div class="help">
            Every claim listed must match; a value is a comma-separated list of patterns, any of which may match. Names may be dot paths.
            GitLab: bind <code>project_id</code> and <code>ref_protected</code> = <code>true</code> for anything sensitive (in a merge-request
            pipeline from a fork, <code>project_*</code> describe the fork). GitHub: <code>repository_id</code>,{" "}
            <code>repository_owner_id</code>, <code>environment</code>, <code>ref</code>. Empty rows are ignored.
          </div>
        </div>
        <PatternHelp />
      </Card>

      <Card title="Access tokens" sub="What a successful login gets, and where it may be used from.">
        <div class="cols">
          <Field
            label="Access token TTL"
            for="accessTokenTTL"
            errors={e.accessTokenTTL}
            help={`Seconds each token lives; 0 = no limit (the deployment ceiling still applies). Not above the max TTL.${secondsHint(v.accessTokenTTL)}`}
          >
            <input type="number" id="accessTokenTTL" name="accessTokenTTL" value={v.accessTokenTTL} min={0} inputmode="numeric" />
          </Field>
          <Field
            label="Access token max TTL"
            for="accessTokenMaxTTL"
            errors={e.accessTokenMaxTTL}
            help={`Seconds from first issuance, over all renewals; 0 = no limit.${secondsHint(v.accessTokenMaxTTL)}`}
          >
            <input type="number" id="accessTokenMaxTTL" name="accessTokenMaxTTL" value={v.accessTokenMaxTTL} min={0} inputmode="numeric" />
          </Field>
          <Field
            label="Max uses per token"
            for="accessTokenNumUsesLimit"
            errors={e.accessTokenNumUsesLimit}
            help="0 = unlimited. Exactly this many uses succeed, under any concurrency; refused uses consume nothing."
          >
            <input
              type="number"
              id="accessTokenNumUsesLimit"
              name="accessTokenNumUsesLimit"
              value={v.accessTokenNumUsesLimit}
              min={0}
              inputmode="numeric"
            />
          </Field>
        </div>
        <Field
          label="Trusted IPs"
          for="trustedIps"
          errors={e.accessTokenTrustedIps}
          help={
            <>
              One IP address or CIDR range per line, IPv4 or IPv6. Checked on every use of a token (against <code>CF-Connecting-IP</code>),
              with the current list. <code>0.0.0.0/0</code> and <code>::/0</code> allow every address.
            </>
          }
        >
          <textarea id="trustedIps" name="trustedIps" rows={3}>
            {v.trustedIps}
          </textarea>
        </Field>
        <div class={`field${e.claimMetadataMapping ? " invalid" : ""}`}>
          <span class="label">
            Claim metadata mapping <span class="opt">optional</span>
          </span>
          <KvRows
            id="meta-rows"
            rows={v.metadata}
            blank={1}
            names={["metaKey", "metaClaim"]}
            heads={["Metadata key", "Claim (or dot path)"]}
            placeholders={["project", "project_path"]}
            invalid={!!e.claimMetadataMapping}
          />
          {e.claimMetadataMapping?.map((m) => <div class="err">{m}</div>)}
          <div class="help">Copied from the ID token into the access token's metadata, for downstream services. Values over 256 characters are left out.</div>
        </div>
      </Card>

      <Card title="Advanced" sub="Only for IdPs whose keys are not at discovery's jwks_uri, or that the Worker cannot reach.">
        <div class="cols">
          <Field
            label="JWKS URL"
            for="jwksUrl"
            optional
            errors={e.jwksUrl}
            help="Use this key set instead of the discovery document's jwks_uri (also allows another host)."
          >
            <input type="url" id="jwksUrl" name="jwksUrl" value={v.jwksUrl} class="mono" />
          </Field>
          <Field label="JWKS (JSON)" for="jwksJson" optional errors={e.jwksJson} help="A key set you supply; then no key is fetched.">
            <textarea id="jwksJson" name="jwksJson" rows={2} placeholder='{"keys":[...]}'>
              {v.jwksJson}
            </textarea>
          </Field>
        </div>
      </Card>
      {e._form?.map((m) => (
        <div class="alert bad">{m}</div>
      ))}
      <div class="inline">
        <button type="submit" class="btn primary">
          {p.attached ? "Save changes" : "Replace the default with OIDC Auth"}
        </button>
        <a class="btn" href={href(`/identities/${p.identity.id}`)}>
          Cancel
        </a>
      </div>
    </PostForm>
  );
}

const RULE_LABEL: Record<string, string> = {
  signature: "Signature and validity",
  issuer: "Issuer",
  subject: "Subject",
  audience: "Audiences",
};

const STATUS: Record<DryRunRule["status"], [string, string]> = {
  pass: ["ok", "pass"],
  fail: ["bad", "fail"],
  "not-checked": ["", "not checked"],
  "not-bound": ["", "not bound"],
};

const show = (v: string | string[] | undefined) => (v === undefined ? "(missing)" : Array.isArray(v) ? v.join(", ") : v);

function RuleDetail({ r }: { r: DryRunRule }): Child {
  if (r.rule === "signature") {
    return r.status === "fail" ? (
      <>
        <code>{r.reasonCode}</code> {r.message}
      </>
    ) : r.status === "pass" ? (
      "Signed by one of the issuer's keys with an accepted algorithm; exp, nbf and iat valid."
    ) : (
      "Not reached."
    );
  }
  if (r.status === "not-bound") return "No pattern configured: not checked.";
  return (
    <>
      <div>
        expected <code>{r.expected}</code>
      </div>
      {r.status !== "not-checked" && (
        <div>
          token has <code>{show(r.actual)}</code>
        </div>
      )}
      {r.status === "fail" && r.reasonCode && (
        <div>
          refusal <code>{r.reasonCode}</code>
        </div>
      )}
    </>
  );
}

function DryRunCard(p: { ui: Ui; identity: Identity; jwt: string; result?: DryRunResult; error?: string }) {
  return (
    <Card
      id="test-token"
      title="Test a token"
      sub="Checks an ID token against the saved configuration exactly as a login would. No access token is issued, nothing is recorded, and the token is not stored."
    >
      <PostForm ui={p.ui} action={href(`/identities/${p.identity.id}/oidc-auth/test#test-token`)}>
        <Field label="ID token (JWT)" for="dry-run-jwt" errors={p.error ? [p.error] : undefined}>
          <textarea id="dry-run-jwt" name="jwt" rows={4} autocomplete="off" spellcheck={false} placeholder="eyJhbGciOi...">
            {p.jwt}
          </textarea>
        </Field>
        <button type="submit" class="btn">
          Check token
        </button>
      </PostForm>
      {p.result && (
        <div class="stack" id="dry-run-result">
          {p.result.admitted ? (
            <div class="verdict ok">A login with this token would succeed.</div>
          ) : (
            <div class="verdict bad">
              <span>
                A login would be refused: <code>{p.result.reasonCode}</code> — {p.result.message}
              </span>
            </div>
          )}
          <ul class="checks">
            {p.result.rules.map((r) => (
              <li data-rule={r.claim ? `claim:${r.claim}` : r.rule} data-status={r.status}>
                <span>
                  <span class={`badge ${STATUS[r.status][0]}`}>{STATUS[r.status][1]}</span>
                </span>
                <span class="rule">
                  {r.rule === "claim" ? (
                    <>
                      Claim <code>{r.claim}</code>
                    </>
                  ) : (
                    RULE_LABEL[r.rule]
                  )}
                </span>
                <span class="detail">
                  <RuleDetail r={r} />
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Card>
  );
}

/** Progressive enhancement: presets fill the fields in place, and key/value grids grow on demand. */
const SCRIPT = `
document.querySelectorAll("[data-preset]").forEach(function (a) {
  a.addEventListener("click", function (e) {
    e.preventDefault();
    var f = document.getElementById("oidc-form");
    f.elements.oidcDiscoveryUrl.value = a.dataset.issuer;
    f.elements.boundIssuer.value = a.dataset.issuer;
    f.elements.boundSubject.placeholder = a.dataset.subject;
    f.elements.oidcDiscoveryUrl.focus();
  });
});
document.querySelectorAll("[data-add-row]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var grid = document.getElementById(b.dataset.addRow);
    var inputs = grid.querySelectorAll("input");
    [inputs[inputs.length - 2], inputs[inputs.length - 1]].forEach(function (i) {
      var n = i.cloneNode();
      n.value = ""; n.placeholder = ""; n.classList.remove("invalid");
      grid.appendChild(n);
    });
    grid.querySelectorAll("input")[grid.querySelectorAll("input").length - 2].focus();
  });
});
`;

async function showOidcPage(
  c: ConsoleContext,
  status: 200 | 400 | 404 | 409 | 422,
  state: { values?: OidcFormValues; errors?: Record<string, string[]>; jwt?: string; result?: DryRunResult; dryRunError?: string } = {},
) {
  const { ctx, identity, org } = await loadIdentity(c, c.req.param("id")!);
  const attached = identity.authMethods.includes("oidc-auth");
  const config = attached ? await getOidcAuth(ctx, identity.id) : null;
  const ui = uiOf(c);
  const presetName = c.req.query("preset");
  const preset = c.req.method === "GET" && isPreset(presetName) ? presetName : undefined;
  let values = state.values ?? (config ? fromConfig(config) : defaults());
  if (preset) values = { ...values, oidcDiscoveryUrl: PRESETS[preset].issuer, boundIssuer: PRESETS[preset].issuer };
  return render(
    c,
    status,
    <Layout
      ui={ui}
      title={`OIDC Auth · ${identity.name}`}
      nav="orgs"
      crumbs={identityCrumbs(org, identity, "OIDC Auth")}
      heading={identity.name}
      sub={attached ? <>OIDC Auth · last changed {when(config!.updatedAt)}</> : "Authentication"}
      tabs={identityTabs(identity, "oidc")}
      done={c.req.query("done")}
      error={state.errors && Object.keys(state.errors).length ? "The configuration was not saved: correct the fields marked below." : undefined}
      script={SCRIPT}
    >
      {!attached && (
        <div class="alert info">
          <strong>This identity uses the default: no authentication method</strong>, so nothing can log in as it. Fill in this form to
          replace the default with <strong>OIDC Auth</strong>: CI jobs then log in with the ID token their platform issues them.
        </div>
      )}
      <OidcForm ui={ui} identity={identity} values={values} errors={state.errors ?? {}} attached={attached} preset={preset} />
      {attached && (
        <>
          <div class="spacer" />
          <DryRunCard ui={ui} identity={identity} jwt={state.jwt ?? ""} result={state.result} error={state.dryRunError} />
          <Card title="Remove OIDC Auth" sub="The identity goes back to the default (no authentication); tokens issued under OIDC Auth stop working.">
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
  <Layout ui={p.ui} title="Remove OIDC Auth" nav="orgs" crumbs={identityCrumbs(p.org, p.identity, "Remove OIDC Auth")} heading="Remove OIDC Auth?">
    <Card
      title={p.identity.name}
      foot={
        <>
          <PostButton ui={p.ui} action={href(`/identities/${p.identity.id}/oidc-auth/detach`)} class="btn danger">
            Remove OIDC Auth
          </PostButton>
          <a class="btn" href={href(`/identities/${p.identity.id}/oidc-auth`)}>
            Cancel
          </a>
        </>
      }
    >
      <p>
        CI jobs can no longer log in as <strong>{p.identity.name}</strong>, and every access token issued under this configuration is refused
        at its next use (<code>auth_method_removed</code>). Attaching OIDC Auth again does not revive them.
      </p>
    </Card>
  </Layout>
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
  .post("/identities/:id/oidc-auth/test", async (c) => {
    const jwt = (c.var.form.get("jwt") ?? "").trim();
    if (!jwt) return showOidcPage(c, 422, { jwt, dryRunError: "Paste an ID token first" });
    if (jwt.length > MAX_ID_TOKEN_LENGTH) {
      return showOidcPage(c, 422, { jwt: "", dryRunError: `An ID token is at most ${MAX_ID_TOKEN_LENGTH} characters` });
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
