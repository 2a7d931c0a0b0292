// `npm run dev-idp`: a local OIDC identity provider for trying the service without a real CI platform.
// It is the same IdP the tests use: issuer http://127.0.0.1:8788/t/<tenant> (any name is a tenant of its
// own), and it signs ID tokens on POST /t/<tenant>/_control/mint with the claims sent ({ "claims": {...} }),
// adding iss, iat, nbf, exp and jti: GitLab- or GitHub-shaped when the claims are. Local use only.
const { startIdpServer } = await import("../test/support/idp-server.ts");

const port = Number(process.env.DEV_IDP_PORT ?? 8788);
const idp = await startIdpServer(port);
console.log(
  `dev IdP listening: issuer ${idp.url}/t/gitlab, or any ${idp.url}/t/<name>  (mint: POST ${idp.url}/t/gitlab/_control/mint {"claims": {...}})`,
);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => idp.close().then(() => process.exit(0)));
