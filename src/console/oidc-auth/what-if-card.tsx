// "Preview": the values typed in the configuration form, not saved, replayed against the identity's recorded
// login attempts (src/admin/what-if.ts). Its button submits the configuration form (form="oidc-form") to the
// preview route, so the form, its CSRF token and its values are the ones Save would send.
import { WHAT_IF_LIMITS, type WhatIfEntry, type WhatIfResult } from "../../admin/what-if";
import type { Identity } from "../../storage/records";
import { href } from "../context";
import { Card, Field, when } from "../layout";

const RULE_LABEL: Record<WhatIfEntry["rule"]["rule"], string> = {
  issuer: "Issuer",
  subject: "Subject",
  audience: "Audiences",
  claim: "Claim",
  condition: "Condition",
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The two lists of a result: the attempts a change would refuse, and those it would admit. */
const LISTS = [
  {
    id: "what-if-lost",
    title: "Lost: admitted now, refused after",
    refusedBy: "Refused by",
    of: (r: WhatIfResult) => ({ entries: r.lost, count: r.lostCount }),
  },
  {
    id: "what-if-gained",
    title: "Gained: refused now, admitted after",
    refusedBy: "Refused now by",
    of: (r: WhatIfResult) => ({ entries: r.gained, count: r.gainedCount }),
  },
];

function Attempts({ list, r }: { list: (typeof LISTS)[number]; r: WhatIfResult }) {
  const { entries, count } = list.of(r);
  if (count === 0) return null;
  return (
    <div class="stack" id={list.id}>
      <strong>
        {list.title} ({count}
        {count > entries.length ? `, newest ${entries.length} shown` : ""})
      </strong>
      <table class="list compact">
        <thead>
          <tr>
            <th>Attempt</th>
            <th>Subject</th>
            <th>{list.refusedBy}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr>
              <td class="nowrap">
                {when(e.at)}
                {e.event === "token.exchange" && <span class="muted small"> · token exchange</span>}
              </td>
              <td>
                <code>{e.subject ?? "(no sub)"}</code>
              </td>
              <td>
                {RULE_LABEL[e.rule.rule]} {e.rule.claim !== undefined && <code>{e.rule.claim}</code>} ·{" "}
                <code>{e.rule.reasonCode}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Outcome({ r }: { r: WhatIfResult }) {
  const changed = r.gainedCount + r.lostCount > 0;
  return (
    <div class="stack" id="what-if-result">
      <div class={`verdict ${r.lostCount > 0 || r.liveTokensEnded > 0 ? "bad" : "ok"}`}>
        {changed
          ? `Of ${plural(r.evaluated, "login attempt")} replayed, the change would admit ${r.gainedCount} more and refuse ${r.lostCount} more (${r.unchanged} unchanged).`
          : `The change decides all ${plural(r.evaluated, "login attempt")} replayed as the saved configuration does.`}
      </div>
      <p class="muted">
        Attempts from {when(r.from)} to {when(r.to)}. Saving would end {plural(r.liveTokensEnded, "live access token")}. Nothing was
        saved.
        {r.keySourceChanged &&
          " The change takes the issuer's keys from another source: every live token ends, and the replay assumes the new keys verify the attempts' tokens."}
        {r.truncated && " Only the newest 10,000 attempts (or 10,000 live tokens) were read."}
      </p>
      {LISTS.map((list) => (
        <Attempts list={list} r={r} />
      ))}
    </div>
  );
}

interface WhatIfCardProps {
  identity: Identity;
  /** the days field as typed ("" for the default) */
  days: string;
  result?: WhatIfResult;
  /** why the days field was refused */
  error?: string;
}

const SUB =
  "Replays this identity's recorded login attempts under the values typed above, without saving them: which logins the change " +
  "would admit or refuse, and how many live tokens it would end. Attempts refused for their signature, expiry, replay or rate " +
  "limits are not replayed.";

/** Below the configuration form: its Preview button submits that form to the preview route. */
export const WhatIfCard = ({ identity, days, result, error }: WhatIfCardProps) => (
  <Card id="preview" title="Preview the change" sub={SUB}>
    <div class="inline">
      <Field label="Days of logins" for="preview-days" class="narrow" errors={error === undefined ? undefined : [error]}>
        <input
          type="number"
          id="preview-days"
          name="previewDays"
          form="oidc-form"
          value={days}
          min={1}
          inputmode="numeric"
          placeholder={String(WHAT_IF_LIMITS.defaultDays)}
        />
      </Field>
      <button type="submit" class="btn" form="oidc-form" formaction={href(`/identities/${identity.id}/oidc-auth/preview#preview`)}>
        Preview
      </button>
    </div>
    {result && <Outcome r={result} />}
  </Card>
);
