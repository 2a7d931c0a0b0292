import * as z from "zod";
import { DomainError, Reason } from "../errors";
import { canonicalId } from "../storage/ids";

/**
 * The organization an admin read is about, under either of its two names: `organizationId` (ours) or
 * `orgId` (the name Infisical's identity list takes). Every admin read that takes one takes both, so a
 * script written for one endpoint works on the others.
 */
export const organizationParams = {
  organizationId: z.string().max(64).transform(canonicalId).optional(),
  orgId: z.string().max(64).transform(canonicalId).optional().describe("the same as organizationId (Infisical's name for it)"),
};

/** The organization the query names (undefined: none); both names with different values are a 422. */
export function organizationParam(q: { organizationId?: string | undefined; orgId?: string | undefined }): string | undefined {
  if (q.organizationId !== undefined && q.orgId !== undefined && q.organizationId !== q.orgId) {
    throw new DomainError(Reason.invalid_request, "organizationId and orgId name different organizations", {
      details: [{ field: "orgId", message: "names another organization than organizationId" }],
    });
  }
  return q.organizationId ?? q.orgId;
}
