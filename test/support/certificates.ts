/** A real, self-signed, public-only EC certificate (openssl req -x509 -newkey ec ...): caCert is checked
 * structurally (src/oidc/pem.ts), so tests need a genuine one. */
export const TEST_CA_CERT = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBmTCCAT+gAwIBAgIUG3j4z26FV9S1LCHVvs7dfjbt8kswCgYIKoZIzj0EAwIw",
  "ITEfMB0GA1UEAwwWZWRnZS1vaWRjLWF1dGgtdGVzdC1jYTAgFw0yNjExMjUyMDQ1",
  "MzRaGA8yMTI2MTEwMTIwNDUzNFowITEfMB0GA1UEAwwWZWRnZS1vaWRjLWF1dGgt",
  "dGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOlpxc9gRPYK+pXR3rDA",
  "blokkKfdyYYMkQ31/O3m3wEd7mby+NVZzDLbwCkYksqv09Gj6mx5JBHR528Yv9Ay",
  "RaejUzBRMB0GA1UdDgQWBBTN/OGfadFnA52aDouMHPo8qzrBhDAfBgNVHSMEGDAW",
  "gBTN/OGfadFnA52aDouMHPo8qzrBhDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49",
  "BAMCA0gAMEUCIHfHu6op2lBHAXzzQfz8YRXDUYy6mVNPSgrjeR1tEfrwAiEAtRjZ",
  "n2trom7LMm6Wt+CwfGxIBTHB/T2bICQpipkrXxA=",
  "-----END CERTIFICATE-----",
].join("\n");
