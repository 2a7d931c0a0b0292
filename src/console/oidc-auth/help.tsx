// The help around the OIDC Auth form. What a field means is its description on the configuration schema
// (src/oidc/config-schema.ts), written once for the console and the API reference; this module renders
// it, and holds the help that is about the form only.
import type { Child } from "hono/jsx";
import type * as z from "zod";
import { type ConfigWarning, WARNING_CODES, type WarningCode } from "../../oidc/config-policy";
import { oidcConfigInputSchema } from "../../oidc/config-schema";
import { duration } from "../layout";

export type OidcField = keyof typeof oidcConfigInputSchema.shape;

/** The schema's description of a configuration field, looked up through its optional/nullable/default wrappers. */
export function fieldHelp(field: OidcField): string {
  let schema: z.ZodType | undefined = oidcConfigInputSchema.shape[field];
  while (schema) {
    if (schema.description) return schema.description;
    const def = schema.def as { innerType?: z.ZodType };
    schema = def.innerType;
  }
  throw new Error(`config-schema.ts: the field ${field} has no description`);
}

/** Text with `code` spans, as the descriptions write them. */
export const Prose = ({ text }: { text: string }): Child => (
  <>{text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code>{part}</code> : part))}</>
);

/** A field's help: its description, with what the form adds before or after it. */
export const FieldHelp = (p: { field: OidcField; before?: string; after?: string }): Child => (
  <>
    {p.before}
    <Prose text={fieldHelp(p.field)} />
    {p.after}
  </>
);

/** The help of a field holding seconds, with what the value entered amounts to: " Now: 1 h." */
export const secondsHelp = (field: OidcField, value: string) =>
  `${fieldHelp(field)}${/^\d{1,10}$/.test(value) ? ` Now: ${duration(Number(value))}.` : ""}`;

export const PatternHelp = () => (
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
        <code>*</code>. A boolean claim matches <code>true</code>/<code>false</code>, a number its decimal text, an array if any
        element matches. Claim names may be dot paths into nested objects (<code>a.b.c</code>).
      </p>
    </div>
  </details>
);

export const SharedIssuerWarning = () => (
  <div class="alert warn">
    <strong>Shared issuers are shared.</strong> Anyone with an account on gitlab.com or github.com gets tokens for projects of their
    own, with any ref, environment or audience they like. So a configuration must pin the owner: a GitLab subject fixes the top-level
    group (<code>project_path:mygroup/…</code>), a GitHub subject the owner (<code>repo:my-org/…</code>), or a claim does, bound or in
    a condition conjunct such as <code>claims.namespace_id == "1234"</code> (<code>namespace_id</code>, <code>project_id</code>,{" "}
    <code>repository_owner_id</code>, <code>repository_id</code>). <code>ref</code>, <code>ref_protected</code>,{" "}
    <code>environment</code>, <code>user_login</code> and the like narrow which jobs, never whose.
  </div>
);

/** Headline of each warning the service gives about a saved configuration (src/oidc/config-policy.ts). */
const WARNING_TITLE: Record<WarningCode, string> = {
  [WARNING_CODES.audienceUnbound]: "No audience is bound.",
  [WARNING_CODES.bindingTooBroad]: "This configuration pins no owner.",
  [WARNING_CODES.conditionInvalid]: "The condition does not compile.",
};

/** The saved configuration's warnings, as banners above the form. */
export const ConfigWarnings = ({ warnings }: { warnings: ConfigWarning[] }) => (
  <>
    {warnings.map((w) => (
      <div class="alert warn" role="status" data-warning={w.code}>
        <strong>{WARNING_TITLE[w.code]}</strong> {w.message}
      </div>
    ))}
  </>
);
