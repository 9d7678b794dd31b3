declare const __PACKAGE_VERSION__: string | undefined;

/** The version of `@genops/console`, injected at build time. */
export const VERSION: string = typeof __PACKAGE_VERSION__ !== 'undefined' ? __PACKAGE_VERSION__ : '0.0.0-test';
