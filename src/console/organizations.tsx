import { Hono } from "../hono";
import { createOrganization, createOrganizationInput, getManagedOrganization, listVisibleOrganizations } from "../admin/organizations";
import { Reason } from "../errors";
import { LOCATION_HINTS, type Organization } from "../storage/records";
import { adminCtx, href, type ConsoleContext, type ConsoleEnv } from "./context";
import { fieldErrors, submitForm, text, type FormState } from "./forms";
import { Field, FormCard, Layout, NameField, render, uiOf, type PageProps } from "./layout";
import { ActionCell, DayCell, Empty, IdCell, ListCard } from "./list";

export type OrgTab = "identities" | "projects" | "traffic" | "audit";

/** The tabs of an organization's pages (Infisical: Organization Settings > Access Control, Projects, Audit). */
export const orgTabs = (org: Organization, on: OrgTab) => [
  { label: "Machine identities", href: href(`/orgs/${org.id}/identities`), on: on === "identities" },
  { label: "Projects", href: href(`/orgs/${org.id}/projects`), on: on === "projects" },
  { label: "Traffic", href: href(`/orgs/${org.id}/traffic`), on: on === "traffic" },
  { label: "Audit log", href: href(`/orgs/${org.id}/audit`), on: on === "audit" },
];

export const orgCrumbs = (org: Organization): [string, string?][] => [
  ["Organizations", href("/orgs")],
  [org.name, href(`/orgs/${org.id}/identities`)],
];

/** The page frame of an organization's tab: title, crumbs, heading and tabs, all named after the tab. */
export const orgPage = (org: Organization, on: OrgTab) => {
  const tabs = orgTabs(org, on);
  const label = tabs.find((t) => t.on)!.label;
  return {
    title: `${label} · ${org.name}`,
    nav: "orgs",
    crumbs: [...orgCrumbs(org), [label]],
    heading: org.name,
    sub: (
      <>
        Organization · <code>{org.slug}</code>
      </>
    ),
    tabs,
  } satisfies Omit<PageProps, "ui">;
};

async function showOrganizations(c: ConsoleContext, status: 200 | 409 | 422, form?: FormState) {
  const ctx = adminCtx(c);
  const orgs = await listVisibleOrganizations(ctx);
  const canCreate = ctx.actor.kind === "admin-key";
  const ui = uiOf(c);
  return render(
    c,
    status,
    <Layout
      ui={ui}
      title="Organizations"
      nav="orgs"
      heading="Organizations"
      sub="Each organization holds machine identities and projects."
      done={c.req.query("done")}
    >
      <div class={canCreate ? "grid2" : ""}>
        <ListCard
          title="All organizations"
          sub={`${orgs.length} organization${orgs.length === 1 ? "" : "s"}`}
          items={orgs}
          empty={<Empty title="No organizations yet">Create the first one to add machine identities to it.</Empty>}
          heads={["Name", "Slug", "Created", ""]}
          row={(o) => (
            <tr>
              <IdCell name={o.name} id={o.id} link={href(`/orgs/${o.id}/identities`)} />
              <td>
                <code>{o.slug}</code>
              </td>
              <DayCell at={o.createdAt} />
              <ActionCell href={href(`/orgs/${o.id}/identities`)}>Open</ActionCell>
            </tr>
          )}
        />
        {canCreate && (
          <FormCard ui={ui} title="New organization" action={href("/orgs")} submit="Create organization">
            <NameField id="org-name" value={form?.values.name ?? ""} errors={form?.errors.name} />
            <Field
              label="Slug"
              for="org-slug"
              optional
              errors={form?.errors.slug}
              help="Lowercase letters, digits and single dashes. Derived from the name when left empty. Clients may send it as organizationSlug at login."
            >
              <input type="text" id="org-slug" name="slug" value={form?.values.slug ?? ""} maxlength={64} class="mono" />
            </Field>
            <Field
              label="Location hint"
              for="org-location"
              optional
              errors={form?.errors.locationHint}
              help="The Cloudflare region of its CI runners: its identities' token state is created there, so token uses stay short. Applies to identities created afterwards."
            >
              <select id="org-location" name="locationHint">
                <option value="">none</option>
                {LOCATION_HINTS.map((h) => (
                  <option value={h} selected={h === form?.values.locationHint}>
                    {h}
                  </option>
                ))}
              </select>
            </Field>
          </FormCard>
        )}
      </div>
    </Layout>,
  );
}

export const organizationRoutes = new Hono<ConsoleEnv>()
  .get("/orgs", (c) => showOrganizations(c, 200))
  .post("/orgs", async (c) => {
    const values = { name: text(c.var.form, "name"), slug: text(c.var.form, "slug"), locationHint: text(c.var.form, "locationHint") };
    const parsed = createOrganizationInput.safeParse({
      name: values.name,
      slug: values.slug || undefined,
      locationHint: values.locationHint || undefined,
    });
    if (!parsed.success) return showOrganizations(c, 422, { values, errors: fieldErrors(parsed.error) });
    return submitForm(
      c,
      async () => {
        const org = await createOrganization(adminCtx(c), parsed.data);
        return c.redirect(href(`/orgs/${org.id}/identities?done=org-created`), 303);
      },
      (refusal) =>
        refusal.is(Reason.slug_taken) ? showOrganizations(c, 409, { values, errors: { slug: [refusal.message] } }) : undefined,
    );
  })
  .get("/orgs/:orgId", async (c) => {
    const org = await getManagedOrganization(adminCtx(c), c.req.param("orgId"));
    return c.redirect(href(`/orgs/${org.id}/identities`), 303);
  });
