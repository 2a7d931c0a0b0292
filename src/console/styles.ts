/** The console's only stylesheet, inlined into every page (no external assets; nonce'd for the CSP). */
export const CSS = `
:root {
  --ink: #111827; --ink-2: #374151; --muted: #6b7280; --faint: #9ca3af;
  --line: #e5e7eb; --line-2: #f1f2f4; --bg: #f5f6f8; --card: #ffffff;
  --brand: #2f5bd8; --brand-ink: #ffffff; --brand-soft: #eef2fd; --brand-dark: #2449b3;
  --ok: #15803d; --ok-soft: #ecfdf3; --bad: #b42318; --bad-soft: #fef3f2; --warn: #b54708; --warn-soft: #fffaeb;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --radius: 8px;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--brand); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
code { background: var(--line-2); border-radius: 4px; padding: 1px 5px; color: var(--ink-2); overflow-wrap: anywhere; }
h1 { font-size: 22px; line-height: 1.3; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 15px; margin: 0 0 4px; font-weight: 650; }
h3 { font-size: 13px; margin: 16px 0 6px; font-weight: 650; color: var(--ink-2); }
p { margin: 0 0 10px; }
header.top { background: #0f172a; color: #e5e7eb; }
.top-inner { max-width: 1120px; margin: 0 auto; padding: 0 24px; height: 54px; display: flex; align-items: center; gap: 16px; }
.brand { display: flex; align-items: center; gap: 10px; color: #fff; font-weight: 650; font-size: 15px; }
.brand:hover { text-decoration: none; }
.brand small { color: #94a3b8; font-weight: 500; font-size: 13px; }
.top nav { display: flex; gap: 4px; margin-left: 18px; }
.top nav a { color: #cbd5e1; padding: 6px 10px; border-radius: 6px; font-size: 13.5px; }
.top nav a:hover, .top nav a.on { background: #1e293b; color: #fff; text-decoration: none; }
.who { margin-left: auto; display: flex; align-items: center; gap: 12px; font-size: 13px; color: #cbd5e1; }
.who .dot { width: 8px; height: 8px; border-radius: 50%; background: #22c55e; display: inline-block; margin-right: 6px; }
.who form { margin: 0; }
.who a { color: #cbd5e1; }
.who button { background: transparent; color: #e5e7eb; border: 1px solid #334155; border-radius: 6px; padding: 4px 10px; font: inherit; cursor: pointer; }
.who button:hover { background: #1e293b; }
main { max-width: 1120px; margin: 0 auto; padding: 22px 24px 64px; }
.crumbs { font-size: 13px; color: var(--muted); margin-bottom: 6px; }
.crumbs a { color: var(--muted); }
.crumbs span.sep { margin: 0 6px; color: var(--faint); }
.head { display: flex; align-items: flex-end; justify-content: space-between; gap: 16px; margin-bottom: 18px; }
.head .sub { color: var(--muted); margin-top: 4px; font-size: 13.5px; }
.tabs { display: flex; gap: 2px; border-bottom: 1px solid var(--line); margin: 0 0 20px; }
.tabs a { padding: 9px 14px; color: var(--muted); border-bottom: 2px solid transparent; margin-bottom: -1px; font-weight: 550; }
.tabs a:hover { color: var(--ink); text-decoration: none; }
.tabs a.on { color: var(--brand); border-bottom-color: var(--brand); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); margin-bottom: 18px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.card > .card-head { padding: 14px 18px; border-bottom: 1px solid var(--line); display: flex; align-items: center; justify-content: space-between; gap: 12px; }
.card > .card-head p { margin: 2px 0 0; color: var(--muted); font-size: 13px; }
.card > .card-body { padding: 18px; }
.card > .card-foot { padding: 12px 18px; border-top: 1px solid var(--line); background: #fafbfc; border-radius: 0 0 var(--radius) var(--radius); display: flex; gap: 10px; align-items: center; }
.grid2 { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 18px; align-items: start; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 0 18px; }
table.list { width: 100%; border-collapse: collapse; }
table.list th { text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; padding: 9px 18px; border-bottom: 1px solid var(--line); background: #fafbfc; white-space: nowrap; }
table.list td { padding: 11px 18px; border-bottom: 1px solid var(--line-2); vertical-align: middle; }
table.list tr:last-child td { border-bottom: 0; }
table.list tr:hover td { background: #fafbff; }
table.list td.actions { text-align: right; white-space: nowrap; }
table.list td.actions form { display: inline-flex; gap: 6px; align-items: center; margin: 0; }
table.list select.sm, table.list td.actions select { width: auto; height: 30px; padding: 3px 24px 3px 8px; font-size: 12.5px; line-height: 20px; }
table.list form.row-form { display: inline-flex; gap: 6px; align-items: center; margin: 0; }
table.list code, table.list .nowrap, .idcell .mono { white-space: nowrap; }
.flush { overflow-x: auto; }
table.list.compact td { padding: 9px 14px; font-size: 13px; }
table.list.compact th { padding: 9px 14px; }
table.list.top td { vertical-align: top; }
.empty { padding: 28px 18px; text-align: center; color: var(--muted); }
.empty strong { display: block; color: var(--ink-2); margin-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: 150px 1fr; gap: 8px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; min-width: 0; }
dl.facts.narrow { grid-template-columns: 96px 1fr; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 550; background: var(--line-2); color: var(--ink-2); border: 1px solid var(--line); white-space: nowrap; }
.badge.blue { background: var(--brand-soft); color: var(--brand-dark); border-color: #d5defa; }
.badge.ok { background: var(--ok-soft); color: var(--ok); border-color: #c6efd5; }
.badge.bad { background: var(--bad-soft); color: var(--bad); border-color: #fbd5d1; }
.badge.warn { background: var(--warn-soft); color: var(--warn); border-color: #fde7b0; }
.muted { color: var(--muted); }
.small { font-size: 12.5px; }
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px; font: inherit; font-weight: 550; font-size: 13.5px; line-height: 20px; padding: 7px 14px; border-radius: 6px; border: 1px solid #d0d5dd; background: #fff; color: var(--ink-2); cursor: pointer; white-space: nowrap; }
.btn:hover { background: #f9fafb; text-decoration: none; }
.btn:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #c7d5fb; outline-offset: 1px; }
.btn.primary { background: var(--brand); border-color: var(--brand); color: var(--brand-ink); }
.btn.primary:hover { background: var(--brand-dark); }
.btn.danger { background: #d92d20; border-color: #d92d20; color: #fff; }
.btn.danger:hover { background: #b42318; }
.btn.subtle-danger { color: var(--bad); }
.btn.sm { padding: 3px 10px; font-size: 12.5px; }
.btn.link { border: 0; background: none; padding: 0; color: var(--brand); font-weight: 500; }
.btn.block { width: 100%; }
.field { margin-bottom: 18px; }
.field > label, .field > .label { display: block; font-weight: 600; margin-bottom: 5px; color: var(--ink); }
.field label.check { display: flex; align-items: center; gap: 8px; font-weight: 400; }
.field .opt { color: var(--faint); font-weight: 450; margin-left: 4px; }
input[type=text], input[type=url], input[type=password], input[type=number], input[type=datetime-local], select { height: 36px; }
input[type=text], input[type=url], input[type=password], input[type=number], input[type=datetime-local], select, textarea {
  width: 100%; font: inherit; color: var(--ink); background: #fff; border: 1px solid #d0d5dd; border-radius: 6px; padding: 7px 10px; line-height: 20px; }
textarea { font-family: var(--mono); font-size: 12.5px; line-height: 1.45; resize: vertical; }
input.mono { font-family: var(--mono); font-size: 12.5px; }
select { padding-right: 28px; }
.field.invalid input, .field.invalid textarea, .field.invalid select, .kv input.invalid { border-color: #f04438; background: #fffbfa; }
.help { color: var(--muted); font-size: 12.5px; margin-top: 5px; }
.help p { margin: 0 0 4px; }
.help ul { margin: 2px 0 4px 18px; padding: 0; }
.err { color: var(--bad); font-size: 12.5px; margin-top: 5px; font-weight: 550; display: flex; gap: 6px; }
.err::before { content: "!"; display: inline-flex; align-items: center; justify-content: center; width: 16px; height: 16px; border-radius: 50%; background: var(--bad); color: #fff; font-size: 11px; font-weight: 700; flex: none; margin-top: 1px; }
.inline { display: flex; gap: 10px; align-items: flex-end; flex-wrap: wrap; }
.inline .field { margin-bottom: 0; flex: 1 1 180px; }
.inline .field.narrow { flex: 0 1 170px; }
.filters { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px 16px; align-items: end; }
.filters .field { margin-bottom: 0; }
@media (max-width: 980px) { .filters { grid-template-columns: 1fr 1fr; } }
.alert { border-radius: var(--radius); padding: 11px 14px; margin-bottom: 16px; border: 1px solid; font-size: 13.5px; }
.alert.ok { background: var(--ok-soft); border-color: #abefc6; color: #05603a; }
.alert.bad { background: var(--bad-soft); border-color: #fecdca; color: #912018; }
.alert.warn { background: var(--warn-soft); border-color: #fedf89; color: #93370d; }
.filters + .alert { margin: 14px 0 0; }
.alert.info { background: var(--brand-soft); border-color: #d5defa; color: #1e3a8a; }
.alert strong { font-weight: 650; }
.kv { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.6fr); gap: 6px 8px; }
.kv .kv-head { font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
.section-title { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin: 4px 0 12px; padding-bottom: 8px; border-bottom: 1px solid var(--line-2); }
.section-title h2 { margin: 0; }
.section-title .muted { font-size: 12.5px; }
.presets { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-bottom: 16px; }
.presets .label { font-weight: 600; margin-right: 4px; }
details.explain { border: 1px solid var(--line); border-radius: 6px; background: #fafbfc; margin: 8px 0 16px; }
details.explain > summary { cursor: pointer; padding: 8px 12px; font-weight: 600; color: var(--ink-2); font-size: 13px; }
details.explain > div { padding: 0 12px 10px; font-size: 12.5px; color: var(--ink-2); }
details.explain table { border-collapse: collapse; margin: 6px 0; }
details.explain td { padding: 3px 10px 3px 0; vertical-align: top; }
.checks { list-style: none; margin: 0; padding: 0; }
.checks li { display: grid; grid-template-columns: 88px 190px minmax(0, 1fr); gap: 12px; padding: 10px 0; border-bottom: 1px solid var(--line-2); align-items: start; }
.checks li:last-child { border-bottom: 0; }
.checks .rule { font-weight: 600; }
.checks .detail { color: var(--ink-2); font-size: 12.5px; min-width: 0; overflow-wrap: anywhere; }
.verdict { display: flex; align-items: center; gap: 10px; padding: 12px 14px; border-radius: var(--radius); margin-bottom: 12px; font-weight: 600; }
.verdict.ok { background: var(--ok-soft); color: #05603a; border: 1px solid #abefc6; }
.verdict.bad { background: var(--bad-soft); color: #912018; border: 1px solid #fecdca; }
.signin { max-width: 420px; margin: 9vh auto 0; }
.signin .brand-big { display: flex; align-items: center; gap: 10px; justify-content: center; margin-bottom: 18px; font-weight: 650; font-size: 18px; }
.pager { display: flex; justify-content: space-between; align-items: center; padding: 12px 18px; border-top: 1px solid var(--line); font-size: 13px; color: var(--muted); }
.idcell { display: flex; flex-direction: column; }
.idcell .mono { color: var(--muted); font-size: 11.5px; }
pre.json { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 460px; margin: 6px 0 0; background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 6px; font-size: 12px; overflow: auto; max-height: 280px; }
details.row-details summary { cursor: pointer; color: var(--brand); font-size: 12.5px; }
.stack > * + * { margin-top: 8px; }
.stack { margin-top: 16px; }
.spacer { height: 22px; }
.mt { margin-top: 14px; }
@media (max-width: 860px) { .grid2 { grid-template-columns: 1fr; } .checks li { grid-template-columns: 56px 1fr; } .checks .detail { grid-column: 2; } dl.facts { grid-template-columns: 1fr; } }
`;
