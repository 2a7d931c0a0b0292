import { Hono } from "../hono";
import {
  createIdentity,
  createIdentityInput,
  deleteManagedIdentity,
  getManagedIdentity,
  listOrganizationIdentities,
  updateIdentityInput,
  updateManagedIdentity,
} from "../admin/identities";
import { getOidcAuth } from "../admin/oidc-auth";
import { getManagedOrganization } from "../admin/organizations";
import { listIdentityMemberships, listOrganizationProjects } from "../admin/projects";
import { ProjectRoles } from "./projects";
import { ORG_ROLES, type Identity, type Organization } from "../storage/records";
import { adminCtx, href, type ConsoleContext, type ConsoleEnv } from "./context";
import { fieldErrors, text, type FormState } from "./forms";
import {
  Card,
  ConfirmPage,
  Field,
  FormCard,
  Layout,
  NameField,
  RoleBadge,
  render,
  uiOf,
  when,
  type PageProps,
  type Ui,
} from "./layout";
import { ActionCell, DayCell, Empty, IdCell, ListCard } from "./list";
import { orgCrumbs, orgPage } from "./organizations";

export const ORG_ROLE_HELP: Record<string, string> = {
  admin: "admin: may manage the organization (its access token can use the admin API and this console)",
  member: "member: may read the organization",
  "no-access": "no-access: no organization permissions; project roles still apply",
};

export const identityTabs = (identity: Identity, on: "overview" | "oidc" | "tokens" | "traffic") => [
  { label: "Overview", href: href(`/identities/${identity.id}`), on: on === "overview" },
  { label: "Authentication · OIDC Auth", href: href(`/identities/${identity.id}/oidc-auth`), on: on === "oidc" },
  { label: "Access tokens", href: href(`/identities/${identity.id}/tokens`), on: on === "tokens" },
  { label: "Traffic", href: href(`/identities/${identity.id}/traffic`), on: on === "traffic" },
];

export const identityCrumbs = (org: Organization, identity: Identity, last?: string): [string, string?][] => [
  ...orgCrumbs(org),
  ["Machine identities", href(`/orgs/${org.id}/identities`)],
  last ? [identity.name, href(`/identities/${identity.id}`)] : [identity.name],
  ...(last ? [[last] as [string]] : []),
];

const TAB_PAGE = { overview: undefined, oidc: "OIDC Auth", tokens: "Access tokens", traffic: "Traffic" } as const;

/** The page frame of an identity's tab: title, crumbs, heading (its name) and tabs, named after the tab. */
export const identityPage = (org: Organization, identity: Identity, on: keyof typeof TAB_PAGE) => {
  const page = TAB_PAGE[on];
  return {
    title: page ? `${page} · ${identity.name}` : identity.name,
    nav: "orgs",
    crumbs: identityCrumbs(org, identity, page),
    heading: identity.name,
    tabs: identityTabs(identity, on),
  } satisfies Omit<PageProps, "ui">;
};

/** The identity (scoped to the actor) and its organization. */
export async function loadIdentity(c: ConsoleContext, id: string) {
  const ctx = adminCtx(c);
  const identity = await getManagedIdentity(ctx, id);
  const org = await getManagedOrganization(ctx, identity.orgId);
  return { ctx, identity, org };
}

export const AuthBadges = ({ methods }: { methods: string[] }) =>
  methods.length === 0 ? (
    <span class="badge warn">no auth method</span>
  ) : (
    <>
      {methods.map((m) => (
        <span class="badge ok">{m === "oidc-auth" ? "OIDC Auth" : m}</span>
      ))}
    </>
  );

const RoleSelect = (p: { id: string; value: string; name?: string }) => (
  <select id={p.id} name={p.name ?? "role"}>
    {ORG_ROLES.map((r) => (
      <option value={r} selected={r === p.value}>
        {r}
      </option>
    ))}
  </select>
);

async function showIdentities(c: ConsoleContext, status: 200 | 422, form?: FormState) {
  const ctx = adminCtx(c);
  const org = await getManagedOrganization(ctx, c.req.param("orgId")!);
  const identities = await listOrganizationIdentities(ctx, org.id);
  const ui = uiOf(c);
  return render(
    c,
    status,
    <Layout ui={ui} {...orgPage(org, "identities")} done={c.req.query("done")}>
      <div class="grid2">
        <ListCard
          title="Machine identities"
          sub="Non-human principals your CI jobs log in as."
          items={identities}
          empty={
            <Empty title="No machine identities yet">Create one, then replace its default (no authentication) with OIDC Auth.</Empty>
          }
          heads={["Name", "Role", "Auth method", "Created", ""]}
          row={(i) => (
            <tr>
              <IdCell name={i.name} id={i.id} link={href(`/identities/${i.id}`)} />
              <td>
                <RoleBadge role={i.role} />
              </td>
              <td>
                <AuthBadges methods={i.authMethods} />
              </td>
              <DayCell at={i.createdAt} />
              <ActionCell href={href(`/identities/${i.id}/oidc-auth`)}>{i.authMethods.length ? "Edit auth" : "Add auth"}</ActionCell>
            </tr>
          )}
        />
        <FormCard ui={ui} title="Create identity" action={href(`/orgs/${org.id}/identities`)} submit="Create identity">
          <NameField
            id="identity-name"
            value={form?.values.name ?? ""}
            errors={form?.errors.name}
            help="For people reading the audit log, e.g. gitlab-deployer."
          />
          <Field
            label="Organization role"
            for="identity-role"
            errors={form?.errors.role}
            help={
              <ul>
                {ORG_ROLES.map((r) => (
                  <li>{ORG_ROLE_HELP[r]}</li>
                ))}
              </ul>
            }
          >
            <RoleSelect id="identity-role" value={form?.values.role ?? "no-access"} />
          </Field>
        </FormCard>
      </div>
    </Layout>,
  );
}

async function showIdentity(c: ConsoleContext, status: 200 | 422, form?: FormState) {
  const { ctx, identity, org } = await loadIdentity(c, c.req.param("id")!);
  const ui = uiOf(c);
  const oidc = identity.authMethods.includes("oidc-auth") ? await getOidcAuth(ctx, identity.id).catch(() => null) : null;
  const [memberships, projects] = await Promise.all([
    listIdentityMemberships(ctx, identity.id),
    listOrganizationProjects(ctx, org.id),
  ]);
  const projectName = new Map(projects.map((p) => [p.id, p.name]));
  return render(
    c,
    status,
    <Layout
      ui={ui}
      {...identityPage(org, identity, "overview")}
      sub={
        <>
          Machine identity · <RoleBadge role={identity.role} /> <AuthBadges methods={identity.authMethods} />
        </>
      }
      done={c.req.query("done")}
    >
      <div class="grid2">
        <div>
          <Card title="Authentication" sub="How a CI job proves it is this identity.">
            {oidc ? (
              <>
                <dl class="facts">
                  <dt>Method</dt>
                  <dd>
                    <span class="badge ok">OIDC Auth</span>
                  </dd>
                  <dt>Issuer</dt>
                  <dd>
                    <code>{oidc.boundIssuer}</code>
                  </dd>
                  <dt>Subject</dt>
                  <dd>{oidc.boundSubject ? <code>{oidc.boundSubject}</code> : <span class="muted">not bound</span>}</dd>
                  <dt>Audiences</dt>
                  <dd>{oidc.boundAudiences ? <code>{oidc.boundAudiences}</code> : <span class="muted">not bound</span>}</dd>
                  <dt>Claims</dt>
                  <dd>
                    {Object.keys(oidc.boundClaims).length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      Object.entries(oidc.boundClaims).map(([k, v]) => (
                        <div>
                          <code>
                            {k} = {v}
                          </code>
                        </div>
                      ))
                    )}
                  </dd>
                </dl>
                <div class="mt" />
                <a class="btn" href={href(`/identities/${identity.id}/oidc-auth`)}>
                  Edit OIDC Auth
                </a>
              </>
            ) : (
              <>
                <div class="alert warn">
                  <strong>Default: no authentication method.</strong> Nothing can log in as this identity yet.
                </div>
                <a class="btn primary" href={href(`/identities/${identity.id}/oidc-auth`)}>
                  Replace the default with OIDC Auth
                </a>
              </>
            )}
          </Card>
          <ListCard
            title="Project memberships"
            sub="Projects this identity may access, with its role in each."
            items={memberships}
            empty={
              <Empty title="Not a member of any project">
                Add it from a project's page: <a href={href(`/orgs/${org.id}/projects`)}>Projects</a>.
              </Empty>
            }
            heads={["Project", "Roles", "Since"]}
            row={(m) => (
              <tr>
                <td>
                  <a href={href(`/projects/${m.projectId}`)}>{projectName.get(m.projectId) ?? m.projectId}</a>
                </td>
                <td>
                  <ProjectRoles roles={m.roles} />
                </td>
                <DayCell at={m.createdAt} />
              </tr>
            )}
          />
        </div>
        <div>
          <Card title="Details">
            <dl class="facts narrow">
              <dt>Identity ID</dt>
              <dd>
                <code>{identity.id}</code>
              </dd>
              <dt>Organization</dt>
              <dd>{org.name}</dd>
              <dt>Created</dt>
              <dd>{when(identity.createdAt)}</dd>
              <dt>Updated</dt>
              <dd>{when(identity.updatedAt)}</dd>
            </dl>
          </Card>
          <FormCard ui={ui} title="Edit identity" action={href(`/identities/${identity.id}`)} submit="Save">
            <NameField id="edit-name" value={form?.values.name ?? identity.name} errors={form?.errors.name ?? form?.errors._form} />
            <Field
              label="Organization role"
              for="edit-role"
              errors={form?.errors.role}
              help="A role change reaches the identity's live tokens at their next use."
            >
              <RoleSelect id="edit-role" value={form?.values.role ?? identity.role} />
            </Field>
          </FormCard>
          <Card title="Delete identity" sub="Its configuration and memberships go, and its tokens stop working.">
            <a class="btn subtle-danger" href={href(`/identities/${identity.id}/delete`)}>
              Delete identity…
            </a>
          </Card>
        </div>
      </div>
    </Layout>,
  );
}

const DeleteConfirm = (p: { ui: Ui; identity: Identity; org: Organization }) => (
  <ConfirmPage
    ui={p.ui}
    title={`Delete ${p.identity.name}`}
    crumbs={identityCrumbs(p.org, p.identity, "Delete")}
    heading={`Delete ${p.identity.name}?`}
    card="This cannot be undone"
    action={href(`/identities/${p.identity.id}/delete`)}
    confirm="Delete identity"
    back={href(`/identities/${p.identity.id}`)}
  >
    <p>
      The machine identity <strong>{p.identity.name}</strong> (<code>{p.identity.id}</code>) in {p.org.name} will be deleted with its
      OIDC Auth configuration and its project memberships.
    </p>
    <p>Every access token it was issued is refused at its next use. CI jobs that log in as it will get identity_not_found.</p>
  </ConfirmPage>
);

export const identityRoutes = new Hono<ConsoleEnv>()
  .get("/orgs/:orgId/identities", (c) => showIdentities(c, 200))
  .post("/orgs/:orgId/identities", async (c) => {
    const values = { name: text(c.var.form, "name"), role: text(c.var.form, "role") };
    const parsed = createIdentityInput.safeParse({ ...values, organizationId: c.req.param("orgId") });
    if (!parsed.success) return showIdentities(c, 422, { values, errors: fieldErrors(parsed.error) });
    const identity = await createIdentity(adminCtx(c), parsed.data);
    return c.redirect(href(`/identities/${identity.id}?done=identity-created`), 303);
  })
  .get("/identities/:id", (c) => showIdentity(c, 200))
  .post("/identities/:id", async (c) => {
    const values = { name: text(c.var.form, "name"), role: text(c.var.form, "role") };
    const parsed = updateIdentityInput.safeParse(values);
    if (!parsed.success) return showIdentity(c, 422, { values, errors: fieldErrors(parsed.error) });
    await updateManagedIdentity(adminCtx(c), c.req.param("id"), parsed.data);
    return c.redirect(href(`/identities/${c.req.param("id")}?done=identity-updated`), 303);
  })
  .get("/identities/:id/delete", async (c) => {
    const { identity, org } = await loadIdentity(c, c.req.param("id"));
    return render(c, 200, <DeleteConfirm ui={uiOf(c)} identity={identity} org={org} />);
  })
  .post("/identities/:id/delete", async (c) => {
    const identity = await deleteManagedIdentity(adminCtx(c), c.req.param("id"));
    return c.redirect(href(`/orgs/${identity.orgId}/identities?done=identity-deleted`), 303);
  });
