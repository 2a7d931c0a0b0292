// A key/value grid field (bound claims, claim metadata mapping): one text input per cell, a few blank
// rows to fill in, and a button that the page's script shows to add more (./script.ts).
import type { Child } from "hono/jsx";

interface KvGrid {
  /** the grid's element id, named by its "add a row" button */
  id: string;
  rows: [string, string][];
  /** how many blank rows follow the filled ones */
  blank: number;
  /** form field names of the key and the value column */
  names: [string, string];
  heads: [string, string];
  /** placeholders of the first row */
  placeholders: [string, string];
}

const KvRows = (p: KvGrid & { invalid: boolean }) => {
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

/** The grid as a form field: its label, the rows, the service's complaints about them, and help. */
export const KvField = (p: KvGrid & { label: Child; errors?: string[]; help: Child }) => (
  <div class={`field${p.errors ? " invalid" : ""}`}>
    <span class="label">{p.label}</span>
    <KvRows {...p} invalid={!!p.errors} />
    {p.errors?.map((m) => (
      <div class="err">{m}</div>
    ))}
    <div class="help">{p.help}</div>
  </div>
);
