// The OIDC Auth configuration form: identity provider, which tokens may log in, what they get, and the
// advanced key settings. It shows the values and the errors of ./form-model.ts; POSTs go to ./routes.tsx.
import type { Child } from "hono/jsx";
import type { Identity } from "../../storage/records";
import { href } from "../context";
import type { FieldErrors } from "../forms";
import { Card, Field, PostForm, type Ui } from "../layout";
import { PRESETS, type OidcFormValues, type PresetName } from "./form-model";
import { FieldHelp, PatternHelp, secondsHelp, SharedIssuerWarning, type OidcField } from "./help";
import { KvField } from "./kv-rows";

interface FormProps {
  ui: Ui;
  identity: Identity;
  values: OidcFormValues;
  errors: FieldErrors;
  attached: boolean;
  preset?: PresetName;
}

const Presets = ({ identity }: { identity: Identity }) => (
  <div class="presets">
    <span class="label small muted">Presets</span>
    {(Object.keys(PRESETS) as PresetName[]).map((name) => (
      <a
        class="btn sm"
        href={href(`/identities/${identity.id}/oidc-auth?preset=${name}`)}
        data-preset={name}
        data-issuer={PRESETS[name].issuer}
        data-subject={PRESETS[name].subject}
      >
        {PRESETS[name].label}
      </a>
    ))}
  </div>
);

/** A text field: its input is named after its value; errors and help are its configuration field's. */
interface TextFieldProps {
  form: FormProps;
  name: Exclude<keyof OidcFormValues, "claims" | "metadata" | "replayProtection">;
  /** the configuration field, when it is named otherwise than the input */
  field?: OidcField;
  label: string;
  optional?: boolean;
  /** instead of the configuration field's description */
  help?: Child;
  placeholder?: string;
}

const TextField = (p: TextFieldProps & { children: Child }) => {
  const field = p.field ?? (p.name as OidcField);
  return (
    <Field
      label={p.label}
      for={p.name}
      optional={p.optional}
      errors={p.form.errors[field]}
      help={p.help ?? <FieldHelp field={field} />}
    >
      {p.children}
    </Field>
  );
};

const Input = (p: TextFieldProps & { type: "url" | "text" | "number"; mono?: boolean; required?: boolean }) => (
  <TextField {...p}>
    <input
      type={p.type}
      id={p.name}
      name={p.name}
      value={p.form.values[p.name]}
      class={p.mono ? "mono" : undefined}
      required={p.required}
      placeholder={p.placeholder}
      min={p.type === "number" ? 0 : undefined}
      inputmode={p.type === "number" ? "numeric" : undefined}
    />
  </TextField>
);

const TextArea = (p: TextFieldProps & { rows: number; code?: boolean }) => (
  <TextField {...p}>
    <textarea id={p.name} name={p.name} rows={p.rows} placeholder={p.placeholder} spellcheck={p.code ? false : undefined}>
      {p.form.values[p.name]}
    </textarea>
  </TextField>
);

const IdentityProvider = (p: FormProps) => (
  <Card
    title="Identity provider"
    sub="Where ID tokens come from and how their signatures are checked."
    actions={<Presets identity={p.identity} />}
  >
    <div class="cols">
      <Input form={p} name="oidcDiscoveryUrl" label="OIDC discovery URL" type="url" mono required />
      <Input form={p} name="boundIssuer" label="Issuer" type="text" mono required />
    </div>
    <TextArea form={p} name="caCert" label="CA certificate" optional rows={3} placeholder="-----BEGIN CERTIFICATE-----" />
  </Card>
);

const Bindings = (p: FormProps) => (
  <Card
    title="Which tokens may log in"
    sub="Checked in this order after the signature: subject, audiences, every claim, the condition, then replay protection."
  >
    <SharedIssuerWarning />
    <Input form={p} name="boundSubject" label="Subject" type="text" mono placeholder={PRESETS[p.preset ?? "gitlab"].subject} />
    <Input form={p} name="boundAudiences" label="Audiences" type="text" mono placeholder="https://edge-oidc-auth.example" />
    <KvField
      label="Claims"
      id="claims-rows"
      rows={p.values.claims}
      blank={p.values.claims.length ? 1 : 2}
      names={["claimKey", "claimValue"]}
      heads={["Claim", "Allowed values (patterns)"]}
      placeholders={["ref_protected", "true"]}
      errors={p.errors.boundClaims}
      help={<FieldHelp field="boundClaims" after=" Empty rows are ignored." />}
    />
    <PatternHelp />
    <TextArea
      form={p}
      name="condition"
      label="Condition (CEL)"
      optional
      rows={3}
      code
      placeholder='claims.ref_protected == "true" && !(claims.user_login in ["dependabot[bot]"])'
    />
    <Field
      label="Replay protection"
      for="replayProtection"
      errors={p.errors.replayProtection}
      help={<FieldHelp field="replayProtection" after=" Off by default: a retried job step may then log in again with its token." />}
    >
      <label class="check">
        <input type="checkbox" id="replayProtection" name="replayProtection" checked={p.values.replayProtection} /> Refuse an ID token
        that already logged in to this identity
      </label>
    </Field>
  </Card>
);

const AccessTokens = (p: FormProps) => (
  <Card title="Access tokens" sub="What a successful login gets, and where it may be used from.">
    <div class="cols">
      <Input
        form={p}
        name="accessTokenTTL"
        label="Access token TTL"
        type="number"
        help={secondsHelp("accessTokenTTL", p.values.accessTokenTTL)}
      />
      <Input
        form={p}
        name="accessTokenMaxTTL"
        label="Access token max TTL"
        type="number"
        help={secondsHelp("accessTokenMaxTTL", p.values.accessTokenMaxTTL)}
      />
      <Input form={p} name="accessTokenNumUsesLimit" label="Max uses per token" type="number" />
    </div>
    <TextArea
      form={p}
      name="trustedIps"
      field="accessTokenTrustedIps"
      label="Trusted IPs"
      rows={3}
      help={<FieldHelp field="accessTokenTrustedIps" before="One IP address or CIDR range per line, IPv4 or IPv6. " />}
    />
    <KvField
      label={
        <>
          Claim metadata mapping <span class="opt">optional</span>
        </>
      }
      id="meta-rows"
      rows={p.values.metadata}
      blank={1}
      names={["metaKey", "metaClaim"]}
      heads={["Metadata key", "Claim (or dot path)"]}
      placeholders={["project", "project_path"]}
      errors={p.errors.claimMetadataMapping}
      help={<FieldHelp field="claimMetadataMapping" />}
    />
  </Card>
);

const Advanced = (p: FormProps) => (
  <Card title="Advanced" sub="Only for IdPs whose keys are not at discovery's jwks_uri, or that the Worker cannot reach.">
    <div class="cols">
      <Input form={p} name="jwksUrl" label="JWKS URL" optional type="url" mono />
      <TextArea form={p} name="jwksJson" label="JWKS (JSON)" optional rows={2} placeholder='{"keys":[...]}' />
    </div>
  </Card>
);

export const OidcForm = (p: FormProps) => (
  <PostForm ui={p.ui} action={href(`/identities/${p.identity.id}/oidc-auth`)} id="oidc-form">
    <IdentityProvider {...p} />
    <Bindings {...p} />
    <AccessTokens {...p} />
    <Advanced {...p} />
    {p.errors._form?.map((m) => (
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
