/**
 * The API reference at GET /docs: the OpenAPI document rendered on the server into one HTML page with
 * inline CSS. No script, no fonts, no CDN: it works offline and under `default-src 'none'`.
 */
import type { Child } from "hono/jsx";
import type { OpenApiDocument, Operation, Parameter } from "./document";

type Schema = Record<string, any>;

/** Prose with `code` spans (the descriptions use backticks). */
function Prose({ text }: { text: string }): Child {
  return <>{text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code>{part}</code> : part))}</>;
}

const anchor = (text: string) =>
  text
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);

function constraints(s: Schema): string[] {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${s.enum.map((v: unknown) => JSON.stringify(v)).join(", ")}`);
  if (s.const !== undefined) out.push(`always ${JSON.stringify(s.const)}`);
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  if (s.minLength !== undefined) out.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`max length ${s.maxLength}`);
  if (s.minimum !== undefined && Math.abs(s.minimum) < 2 ** 53 - 1) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && Math.abs(s.maximum) < 2 ** 53 - 1) out.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined) out.push(`at least ${s.minItems} item${s.minItems === 1 ? "" : "s"}`);
  if (s.maxItems !== undefined) out.push(`at most ${s.maxItems} items`);
  if (s.pattern) out.push(`pattern ${s.pattern}`);
  return out;
}

/** A short type: `string`, `integer`, `Identity` (linked), `array of Project`, `string | null`. */
function TypeLabel({ s }: { s: Schema }): Child {
  if (s.$ref) return <a href={`#schema-${anchor(refName(s.$ref))}`}>{refName(s.$ref)}</a>;
  if (s.anyOf) {
    return (
      <>
        {s.anyOf.map((alt: Schema, i: number) => (
          <>
            {i > 0 && " | "}
            <TypeLabel s={alt} />
          </>
        ))}
      </>
    );
  }
  if (s.type === "array")
    return (
      <>
        array of <TypeLabel s={s.items ?? {}} />
      </>
    );
  if (s.type === "object" && !s.properties && s.additionalProperties) {
    return (
      <>
        map of <TypeLabel s={s.additionalProperties} />
      </>
    );
  }
  return <>{s.type ?? "any"}</>;
}

/** Fields of an object schema as a table; nested objects (and alternatives) render below their field. */
function SchemaView({ s, depth = 0 }: { s: Schema; depth?: number }): Child {
  if (s.$ref || depth > 4)
    return (
      <p class="type">
        Type: <TypeLabel s={s} />
      </p>
    );
  if (s.anyOf && s.anyOf.some((a: Schema) => a.properties)) {
    return (
      <div class="alts">
        {s.anyOf.map((alt: Schema, i: number) => (
          <div>
            <p class="type">{i === 0 ? "Either" : "or"}:</p>
            <SchemaView s={alt} depth={depth + 1} />
          </div>
        ))}
      </div>
    );
  }
  const item = s.type === "array" ? (s.items ?? {}) : null;
  if (item && item.properties) {
    return (
      <>
        <p class="type">An array of:</p>
        <SchemaView s={item} depth={depth + 1} />
      </>
    );
  }
  if (!s.properties) {
    return (
      <p class="type">
        Type: <TypeLabel s={s} /> {constraints(s).join("; ")}
      </p>
    );
  }
  const required = new Set<string>(s.required ?? []);
  return (
    <table class="fields">
      <tbody>
        {Object.entries(s.properties as Record<string, Schema>).map(([name, p]) => {
          const inner = p.properties || p.items?.properties || p.anyOf?.some((a: Schema) => a.properties);
          return (
            <tr>
              <td>
                <code>{name}</code>
                {required.has(name) ? <span class="req"> required</span> : null}
              </td>
              <td>
                <FieldSummary s={p} description={p.description} />
                {inner ? <SchemaView s={p} depth={depth + 1} /> : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A field's or parameter's type, description and constraints, on one line. */
function FieldSummary({ s, description }: { s: Schema; description?: string }) {
  return (
    <>
      <span class="type">
        <TypeLabel s={s} />
      </span>
      {description ? (
        <span class="desc">
          {" "}
          <Prose text={description} />
        </span>
      ) : null}
      {constraints(s).length ? <span class="cons"> ({constraints(s).join("; ")})</span> : null}
    </>
  );
}

function Params({ params }: { params: Parameter[] }) {
  return (
    <>
      <h4>Parameters</h4>
      <table class="fields">
        <tbody>
          {params.map((p) => (
            <tr>
              <td>
                <code>{p.name}</code> <span class="in">{p.in}</span>
                {p.required ? <span class="req"> required</span> : null}
              </td>
              <td>
                <FieldSummary s={p.schema} description={p.description} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const AUTH_TEXT: Record<string, string> = {
  adminKey: "admin key",
  accessToken: "access token",
};

/** A body or response schema: a named schema is shown by name (linked) and with its fields. */
function BodyView({ s, schemas }: { s: Schema; schemas: Record<string, Schema> }): Child {
  const named = s.$ref ? schemas[refName(s.$ref)] : undefined;
  if (!named) return <SchemaView s={s} />;
  return (
    <>
      <p class="type">
        <TypeLabel s={s} />:
      </p>
      <SchemaView s={named} />
    </>
  );
}

function OperationView({
  method,
  path,
  op,
  schemas,
}: {
  method: string;
  path: string;
  op: Operation;
  schemas: Record<string, Schema>;
}) {
  const body = op.requestBody?.content;
  const ok = op.responses["200"];
  const errors = Object.entries(op.responses).filter(([status]) => status !== "200");
  const errorRef = errors[0]?.[1].content?.["application/json"]?.schema.$ref;
  const errorSchema = typeof errorRef === "string" ? errorRef.slice(errorRef.lastIndexOf("/") + 1) : "Error";
  const auth = op.security.map((s) =>
    Object.keys(s)
      .map((k) => AUTH_TEXT[k] ?? k)
      .join(" + "),
  );
  return (
    <section class="op" id={anchor(op.operationId)}>
      <h3>
        <span class={`method m-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
      </h3>
      <p class="summary">{op.summary}</p>
      {op.description ? (
        <p>
          <Prose text={op.description} />
        </p>
      ) : null}
      <p class="auth">Authorization: {auth.length ? `Bearer ${auth.join(" or ")}` : "none (public)"}</p>
      {op.parameters?.length ? <Params params={op.parameters} /> : null}
      {body ? (
        <>
          <h4>Request body ({Object.keys(body).join(" or ")})</h4>
          <BodyView s={Object.values(body)[0]!.schema} schemas={schemas} />
        </>
      ) : null}
      <h4>Response 200 {ok?.content ? `(${Object.keys(ok.content).join(", ")})` : ""}</h4>
      {ok?.content?.["application/json"] ? (
        <BodyView s={ok.content["application/json"].schema} schemas={schemas} />
      ) : (
        <p>{ok?.description}</p>
      )}
      {errors.length ? (
        <>
          <h4>
            Errors (<a href={`#schema-${errorSchema.toLowerCase()}`}>{errorSchema}</a> body)
          </h4>
          <ul class="errors">
            {errors.map(([status, r]) => (
              <li>
                <code>{status}</code> <Prose text={r.description} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#fafbfc}
main{max-width:980px;margin:0 auto;padding:24px}
nav{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:12px 20px;margin:16px 0}
nav ul{margin:4px 0 8px;padding-left:18px}
h1{margin:0 0 4px} h2{margin-top:40px;border-bottom:2px solid #e1e4e8;padding-bottom:4px}
.op{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:4px 20px 12px;margin:16px 0}
.op h3{font-size:17px} .summary{font-weight:600;margin-top:0}
.method{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:2px 6px}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-patch{background:#9a6700}.m-delete{background:#cf222e}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px}
table.fields{border-collapse:collapse;width:100%;margin:4px 0 8px}
table.fields td{border-top:1px solid #eaecef;padding:5px 8px;vertical-align:top}
table.fields td:first-child{width:32%;white-space:nowrap}
.req{color:#cf222e;font-size:12px}.in{color:#57606a;font-size:12px}.type{color:#57606a}
.desc{color:#1d232a}.cons{color:#57606a;font-size:13px}.auth{color:#57606a}
.alts>div{border-left:3px solid #e1e4e8;padding-left:10px;margin:6px 0}
a{color:#0969da}
`;

export function DocsPage({ doc }: { doc: OpenApiDocument }) {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags[0] ?? "Other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, op });
    }
  }
  const tags = doc.tags.map((t) => t.name).filter((t) => byTag.has(t));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{doc.info.title} API reference</title>
        <style>{CSS}</style>
      </head>
      <body>
        <main>
          <h1>{doc.info.title} API</h1>
          <p>
            <Prose text={doc.info.description} />
          </p>
          <p>
            Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI {doc.openapi}).
          </p>
          <nav>
            {tags.map((tag) => (
              <>
                <strong>{tag}</strong>
                <ul>
                  {byTag.get(tag)!.map(({ method, path, op }) => (
                    <li>
                      <a href={`#${anchor(op.operationId)}`}>
                        {method.toUpperCase()} {path}
                      </a>
                    </li>
                  ))}
                </ul>
              </>
            ))}
            <strong>
              <a href="#schemas">Schemas</a>
            </strong>
          </nav>
          <h2>Authorization</h2>
          <ul>
            {Object.entries(doc.components.securitySchemes).map(([name, scheme]) => (
              <li>
                <strong>{AUTH_TEXT[name] ?? name}</strong> (<code>Authorization: Bearer …</code>):{" "}
                <Prose text={String(scheme.description)} />
              </li>
            ))}
          </ul>
          {tags.map((tag) => (
            <>
              <h2 id={anchor(tag)}>{tag}</h2>
              {byTag.get(tag)!.map((o) => (
                <OperationView {...o} schemas={doc.components.schemas} />
              ))}
            </>
          ))}
          <h2 id="schemas">Schemas</h2>
          {Object.entries(doc.components.schemas).map(([name, schema]) => (
            <section class="op" id={`schema-${anchor(name)}`}>
              <h3>{name}</h3>
              <SchemaView s={schema} />
            </section>
          ))}
        </main>
      </body>
    </html>
  );
}
