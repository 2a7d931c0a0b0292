// The one Node.js module this Worker uses (nodejs_compat provides it in workerd). The project
// type-checks against workers-types only, without @types/node, so its shape is declared here.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, fn: () => R): R;
  }
}
