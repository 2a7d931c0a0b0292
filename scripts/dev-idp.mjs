// `npm run dev-idp`: a local OIDC identity provider for trying the service without a real CI platform.
// It is the same IdP the tests use: issuer http://127.0.0.1:8788/t/<tenant>, and it mints GitLab- or
// GitHub-shaped ID tokens on POST /t/<tenant>/_control/mint. Local use only.
const { startIdpServer } = await import("../test/support/idp-server.ts");

const port = Number(process.env.DEV_IDP_PORT ?? 8788);
const idp = await startIdpServer(port);
console.log(`dev IdP listening: issuer ${idp.url}/t/gitlab  (mint: POST ${idp.url}/t/gitlab/_control/mint)`);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => idp.close().then(() => process.exit(0)));
