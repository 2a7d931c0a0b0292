// "Test a token": an ID token checked against the saved configuration exactly as a login would check
// it (src/admin/dry-run.ts), shown rule by rule. Nothing is issued or recorded.
import type { Child } from "hono/jsx";
import type { DryRunResult, DryRunRule } from "../../admin/dry-run";
import type { Identity } from "../../storage/records";
import { href } from "../context";
import { Card, Field, PostForm, type Ui } from "../layout";

const RULE_LABEL: Record<string, string> = {
  signature: "Signature and validity",
  issuer: "Issuer",
  subject: "Subject",
  audience: "Audiences",
  condition: "Condition",
  replay: "Replay protection",
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
  if (r.rule === "replay") return <ReplayDetail r={r} />;
  if (r.status === "not-bound")
    return r.rule === "condition" ? "No condition configured: not checked." : "No pattern configured: not checked.";
  if (r.rule === "condition") return <ConditionDetail r={r} />;
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

/** Replay protection: off, or whether this token (its `jti`) already logged in to the identity. */
function ReplayDetail({ r }: { r: DryRunRule }): Child {
  if (r.status === "not-bound") return "Off: a token may log in more than once.";
  if (r.status === "not-checked") return "On; not reached.";
  if (r.status === "pass")
    return (
      <>
        This token (jti <code>{show(r.actual)}</code>) has not logged in to this identity yet.
      </>
    );
  return (
    <>
      <code>{r.reasonCode}</code> {r.message}
    </>
  );
}

/** The condition's source, and for a failure the top-level conjunct that was not true and why. */
const ConditionDetail = ({ r }: { r: DryRunRule }): Child => (
  <>
    <div>
      condition <code>{r.expected}</code>
      {r.status === "pass" && " holds"}
    </div>
    {r.status === "fail" && (
      <>
        <div>
          {r.conjunct ? (
            <>
              failed conjunct <code class="conjunct">{r.conjunct}</code>
              {`: ${r.message}`}
            </>
          ) : (
            `failed: ${r.message}`
          )}
        </div>
        <div>
          refusal <code>{r.reasonCode}</code>
        </div>
      </>
    )}
  </>
);

export function DryRunCard(p: { ui: Ui; identity: Identity; jwt: string; result?: DryRunResult; error?: string }) {
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
