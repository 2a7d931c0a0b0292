// Ending every console session at once (the admin key's only; the API's DELETE /api/v1/console/sessions).
import { Hono } from "../hono";
import { assertAdminKey } from "../admin/actor";
import { endEveryConsoleSession } from "../admin/console-sessions";
import { adminCtx, href, type ConsoleEnv } from "./context";
import { clearSessionCookie } from "./session";
import { ConfirmPage, render, uiOf } from "./layout";

export const sessionRoutes = new Hono<ConsoleEnv>()
  .get("/sessions", (c) => {
    // The admin key's only: an org admin gets the refusal page, not a form whose submission is refused.
    assertAdminKey(c.var.actor);
    return render(
      c,
      200,
      <ConfirmPage
        ui={uiOf(c)}
        title="End every console session"
        crumbs={[["Console sessions"]]}
        heading="End every console session?"
        card="Everyone is signed out, you included"
        action={href("/sessions/end-all")}
        confirm="End every session"
        back={href("")}
      >
        <p>
          Every session of this console ends at once: those signed in with the admin key and those of organization admins. Their next
          page view goes to the sign-in page, and a copied session cookie is worthless from then on.
        </p>
        <p>Do this when a session cookie may have leaked. If the admin key itself may have leaked, rotate ADMIN_API_KEY instead.</p>
      </ConfirmPage>,
    );
  })
  .post("/sessions/end-all", async (c) => {
    await endEveryConsoleSession(adminCtx(c));
    clearSessionCookie(c);
    return c.redirect(href("/sign-in?ended=all-ended"), 303);
  });
