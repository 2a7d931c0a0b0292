/** Keys of the Workers the clients tests start (test/clients/global-setup.ts). Test-only values. */
export const ADMIN_KEY = "clients-admin-key-0123456789abcdef";
export const SECRETS_ADMIN_KEY = "clients-secrets-admin-key";
