// The CommonJS build is one bundle holding all three entry points (dist/core.cjs); dist/index.cjs,
// dist/adapter/index.cjs and dist/internal/index.cjs each re-export one of these namespaces. So a
// `require()` of any entry reaches the same modules: one governor, one AsyncLocalStorage, one set of
// error classes (tsup.config.ts).

export * as adapter from './adapter/index';
export * as app from './index';
export * as internal from './internal/index';
export * as register from './register-environment';
