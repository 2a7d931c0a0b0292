// Vite's `?raw` suffix imports a file as a string (test/unit/reason-docs.test.ts reads the docs this way).
// An ambient declaration: this file has no import or export, unlike env.d.ts.
declare module "*?raw" {
  const text: string;
  export default text;
}
