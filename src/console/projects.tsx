import { Hono } from "../hono";
import { listOrganizationIdentities } from "../admin/identities";
import { getManagedOrganization } from "../admin/organizations";
import {
  createProject,
  createProjectInput,
  getManagedProject,
  listOrganizationProjects,
  listProjectMemberships,
  membershipRolesInput,
  removeProjectMembership,
  setProjectMembership,
  type RoleInput,
} from "../admin/projects";
import { Reason } from "../errors";
import type { MembershipRole } from "../storage/projects";
import { PROJECT_ROLES } from "../storage/records";
import { nowMs } from "../time/clock";
import { isInForce } from "../tokens/role-grants";
import { adminCtx, href, type ConsoleContext, type ConsoleEnv } from "./context";
import { fieldErrors, submitForm, text, type FormState } from "./forms";
import { Card, Field, FormCard, Layout, NameField, PostButton, PostForm, RoleBadge, render, uiOf, when } from "./layout";
import { ActionCell, DayCell, Empty, IdCell, ListCard } from "./list";
import { orgCrumbs, orgPage } from "./organizations";

const ProjectRoleSelect = (p: { id?: string; value: string; label?: string }) => (
  <select id={p.id} name="role" aria-label={p.label}>
    {PROJECT_ROLES.map((r) => (
      <option value={r} selected={r === p.value}>
        {r}
      </option>
    ))}
  </select>
);

/**
 * A membership's roles: a temporary one with its end ("until ..."), or, when not in force, struck out and
 * marked "ended" (or "from ..." before its start): it applies to no use of the identity's tokens then.
 * Judged with the service's clock, as token uses are.
 */
export const ProjectRoles = ({ roles }: { roles: readonly MembershipRole[] }) => {
  const now = nowMs();
  return (
    <span class="roles">
      {roles.map((r) => {
        if (!r.isTemporary) {
          return (
            <span data-role={r.role} data-role-state="permanent">
              <RoleBadge role={r.role} />
            </span>
          );
        }
        const fromMs = Date.parse(r.temporaryAccessStartTime ?? "");
        const untilMs = Date.parse(r.temporaryAccessEndTime ?? "");
        const known = Number.isFinite(fromMs) && Number.isFinite(untilMs);
        const state =
          known && isInForce({ role: r.role, fromMs, untilMs }, now) ? "temporary" : known && now < fromMs ? "pending" : "ended";
        const span = `${r.temporaryRange} from ${when(r.temporaryAccessStartTime)} until ${when(r.temporaryAccessEndTime)}`;
        return state === "temporary" ? (
          <span data-role={r.role} data-role-state={state} title={`Temporary: ${span}`}>
            <RoleBadge role={r.role} /> <span class="muted">until {when(r.temporaryAccessEndTime)}</span>
          </span>
        ) : (
          <span data-role={r.role} data-role-state={state} title={`Temporary, not in force: ${span}`}>
            <s>
              <RoleBadge role={r.role} />
            </s>{" "}
            <span class="badge bad">{state === "pending" ? `from ${when(r.temporaryAccessStartTime)}` : "ended"}</span>
          </span>
        );
      })}
    </span>
  );
};

/** The optional "temporary for" field next to a role choice (empty: a permanent role). */
const RangeInput = (p: { id?: string; label: string }) => (
  <input
    type="text"
    id={p.id}
    name="temporaryRange"
    class="mono sm"
    size={6}
    maxlength={100}
    placeholder="permanent"
    aria-label={p.label}
  />
);

async function showProjects(c: ConsoleContext, status: 200 | 409 | 422, form?: FormState) {
  const ctx = adminCtx(c);
  const org = await getManagedOrganization(ctx, c.req.param("orgId")!);
  const projects = await listOrganizationProjects(ctx, org.id);
  const ui = uiOf(c);
  return render(
    c,
    status,
    <Layout ui={ui} {...orgPage(org, "projects")} done={c.req.query("done")}>
      <div class="grid2">
        <ListCard
          title="Projects"
          sub="Machine identities get access to a project through a membership with a project role."
          items={projects}
          empty={<Empty title="No projects yet">Create one, then add machine identities to it.</Empty>}
          heads={["Name", "Slug", "Created", ""]}
          row={(p) => (
            <tr>
              <IdCell name={p.name} id={p.id} link={href(`/projects/${p.id}`)} />
              <td>
                <code>{p.slug}</code>
              </td>
              <DayCell at={p.createdAt} />
              <ActionCell href={href(`/projects/${p.id}`)}>Access control</ActionCell>
            </tr>
          )}
        />
        <FormCard ui={ui} title="New project" action={href(`/orgs/${org.id}/projects`)} submit="Create project">
          <NameField id="project-name" value={form?.values.name ?? ""} errors={form?.errors.name} />
          <Field label="Slug" for="project-slug" optional errors={form?.errors.slug} help="Derived from the name when left empty.">
            <input type="text" id="project-slug" name="slug" value={form?.values.slug ?? ""} class="mono" maxlength={64} />
          </Field>
        </FormCard>
      </div>
    </Layout>,
  );
}

async function showProject(c: ConsoleContext, status: 200 | 400 | 404 | 409 | 422, error?: string) {
  const ctx = adminCtx(c);
  const project = await getManagedProject(ctx, c.req.param("projectId")!);
  const org = await getManagedOrganization(ctx, project.orgId);
  const [{ memberships }, identities] = await Promise.all([
    listProjectMemberships(ctx, project.id),
    listOrganizationIdentities(ctx, org.id),
  ]);
  const byId = new Map(identities.map((i) => [i.id, i]));
  const members = new Set(memberships.map((m) => m.identityId));
  const candidates = identities.filter((i) => !members.has(i.id));
  const ui = uiOf(c);
  return render(
    c,
    status,
    <Layout
      ui={ui}
      title={`${project.name} · Access control`}
      nav="orgs"
      crumbs={[...orgCrumbs(org), ["Projects", href(`/orgs/${org.id}/projects`)], [project.name]]}
      heading={project.name}
      sub={
        <>
          Project · <code>{project.slug}</code> · Access Control › Machine Identities
        </>
      }
      done={c.req.query("done")}
      error={error}
    >
      <Card title="Add identity" sub="Give a machine identity of this organization a role in the project.">
        {candidates.length === 0 ? (
          <p class="muted">
            Every machine identity of {org.name} is already a member. <a href={href(`/orgs/${org.id}/identities`)}>Create one</a>.
          </p>
        ) : (
          <PostForm ui={ui} action={href(`/projects/${project.id}/memberships`)} class="inline">
            <Field label="Machine identity" for="member-identity">
              <select id="member-identity" name="identityId">
                {candidates.map((i) => (
                  <option value={i.id}>{i.name}</option>
                ))}
              </select>
            </Field>
            <Field label="Project role" for="member-role">
              <ProjectRoleSelect id="member-role" value="viewer" />
            </Field>
            <Field label="Temporary for" for="member-range" optional>
              <RangeInput id="member-range" label="Temporary for (empty: permanent)" />
            </Field>
            <button type="submit" class="btn primary">
              Add identity
            </button>
          </PostForm>
        )}
        <div class="help">
          Infisical's built-in project roles: admin, member, viewer, no-access. Downstream services read an identity's project roles
          from its details or from AuthService and enforce them; a change reaches its live tokens at their next use. "Temporary for"
          (30m, 8h, 7d, ...) makes the role end by itself: from its end time on, no use of the identity's tokens answers it. "Change"
          replaces all of a member's roles with the one chosen.
        </div>
      </Card>
      <ListCard
        title="Machine identities"
        sub={`${memberships.length} member${memberships.length === 1 ? "" : "s"}`}
        items={memberships}
        empty={<Empty title="No machine identities in this project">Add one with a project role.</Empty>}
        heads={["Identity", "Organization role", "Project roles", "Change to", "Added", ""]}
        tableId="memberships"
        row={(m) => {
          const identity = byId.get(m.identityId);
          const name = identity?.name ?? m.identityId;
          return (
            <tr data-identity-id={m.identityId}>
              <IdCell name={name} id={m.identityId} link={href(`/identities/${m.identityId}`)} />
              <td>{identity && <RoleBadge role={identity.role} />}</td>
              <td>
                <ProjectRoles roles={m.roles} />
              </td>
              <td>
                <PostForm ui={ui} action={href(`/projects/${project.id}/memberships/${m.identityId}`)} class="row-form">
                  <select class="sm" name="role" aria-label={`Project role of ${name}`}>
                    {PROJECT_ROLES.map((r) => (
                      <option value={r} selected={r === m.roles[0]?.role}>
                        {r}
                      </option>
                    ))}
                  </select>
                  <RangeInput label={`Temporary for (empty: permanent), for ${name}`} />
                  <button type="submit" class="btn sm">
                    Change
                  </button>
                </PostForm>
              </td>
              <DayCell at={m.createdAt} />
              <td class="actions">
                <PostButton
                  ui={ui}
                  action={href(`/projects/${project.id}/memberships/${m.identityId}/remove`)}
                  class="btn sm subtle-danger"
                >
                  Remove
                </PostButton>
              </td>
            </tr>
          );
        }}
      />
    </Layout>,
  );
}

/** The role from a form (temporary when a range is given), validated with the API's own schema. */
function rolesFrom(form: URLSearchParams): RoleInput[] | null {
  const range = text(form, "temporaryRange").trim();
  const role = { role: text(form, "role"), ...(range ? { isTemporary: true, temporaryRange: range } : {}) };
  const parsed = membershipRolesInput.safeParse({ roles: [role] });
  return parsed.success ? parsed.data : null;
}

/** A membership change; a refusal (unknown identity, already a member, ...) is shown above the list. */
const changeMembership = (c: ConsoleContext, change: () => Promise<unknown>, done: string) =>
  submitForm(
    c,
    async () => {
      await change();
      return c.redirect(href(`/projects/${c.req.param("projectId")}?done=${done}`), 303);
    },
    (refusal) => showProject(c, refusal.status, refusal.message),
  );

export const projectRoutes = new Hono<ConsoleEnv>()
  .get("/orgs/:orgId/projects", (c) => showProjects(c, 200))
  .post("/orgs/:orgId/projects", async (c) => {
    const values = { name: text(c.var.form, "name"), slug: text(c.var.form, "slug") };
    const parsed = createProjectInput.safeParse({
      name: values.name,
      slug: values.slug || undefined,
      organizationId: c.req.param("orgId"),
    });
    if (!parsed.success) return showProjects(c, 422, { values, errors: fieldErrors(parsed.error) });
    return submitForm(
      c,
      async () => {
        const project = await createProject(adminCtx(c), parsed.data);
        return c.redirect(href(`/projects/${project.id}?done=project-created`), 303);
      },
      (refusal) => (refusal.is(Reason.slug_taken) ? showProjects(c, 409, { values, errors: { slug: [refusal.message] } }) : undefined),
    );
  })
  .get("/projects/:projectId", (c) => showProject(c, 200))
  .post("/projects/:projectId/memberships", async (c) => {
    const roles = rolesFrom(c.var.form);
    if (!roles) return showProject(c, 422, "Choose one of the project roles.");
    const identityId = text(c.var.form, "identityId");
    return changeMembership(
      c,
      () => setProjectMembership(adminCtx(c), c.req.param("projectId"), identityId, roles, "create"),
      "member-added",
    );
  })
  .post("/projects/:projectId/memberships/:identityId", async (c) => {
    const roles = rolesFrom(c.var.form);
    if (!roles) return showProject(c, 422, "Choose one of the project roles.");
    const { projectId, identityId } = c.req.param();
    return changeMembership(c, () => setProjectMembership(adminCtx(c), projectId, identityId, roles, "update"), "member-updated");
  })
  .post("/projects/:projectId/memberships/:identityId/remove", async (c) => {
    const { projectId, identityId } = c.req.param();
    return changeMembership(c, () => removeProjectMembership(adminCtx(c), projectId, identityId), "member-removed");
  });
