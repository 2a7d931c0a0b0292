// Lists of records: a card with a table of them (or a word that there are none) and the cells most lists share.
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { Card, day, when } from "./layout";

/** A card listing records in a table (one row each), or saying there are none; children follow the list. */
export function ListCard<T>(p: {
  title: Child;
  sub?: Child;
  items: T[];
  /** shown instead of the table when there are no items */
  empty: Child;
  /** column headings ("" for an unnamed column) */
  heads: string[];
  row: (item: T) => Child;
  tableClass?: string;
  tableId?: string;
  children?: Child;
}) {
  return (
    <Card flush title={p.title} sub={p.sub}>
      {p.items.length === 0 ? (
        p.empty
      ) : (
        <table class={p.tableClass ?? "list"} id={p.tableId}>
          <thead>
            <tr>
              {p.heads.map((h) => (
                <th>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>{p.items.map((item) => p.row(item))}</tbody>
        </table>
      )}
      {p.children}
    </Card>
  );
}

export const Empty: FC<PropsWithChildren<{ title: string }>> = (p) => (
  <div class="empty">
    <strong>{p.title}</strong>
    {p.children}
  </div>
);

/** A list's first cell: the record's name, linked to its page, over its id. */
export const IdCell: FC<{ name: Child; id: string; link: string }> = (p) => (
  <td>
    <div class="idcell">
      <a href={p.link}>
        <strong>{p.name}</strong>
      </a>
      <span class="mono">{p.id}</span>
    </div>
  </td>
);

/** A list's last cell: a small button linking to what can be done with the record. */
export const ActionCell: FC<PropsWithChildren<{ href: string }>> = (p) => (
  <td class="actions">
    <a class="btn sm" href={p.href}>
      {p.children}
    </a>
  </td>
);

/** A list cell with the day a record was created; the full UTC time on hover. */
export const DayCell: FC<{ at: string }> = ({ at }) => (
  <td class="muted nowrap" title={when(at)}>
    {day(at)}
  </td>
);
