// Project membership roles as the API answers them (Infisical's shape), for test assertions.
import { expect } from "vitest";

/** A permanent role as the API answers it. */
export const permanent = (role: string) => ({
  id: expect.any(String),
  role,
  customRoleId: null,
  customRoleSlug: null,
  isTemporary: false,
  temporaryMode: null,
  temporaryRange: null,
  temporaryAccessStartTime: null,
  temporaryAccessEndTime: null,
  createdAt: expect.any(String),
  updatedAt: expect.any(String),
});
