// @genops/core/register: GenOps on before the app loads, configured from the environment.
//   node --import @genops/core/register app.js        (ES modules and CommonJS apps)
//   node -r @genops/core/register app.js              (CommonJS; dist/register.cjs)
//   NODE_OPTIONS="--import @genops/core/register"     (any launcher: tsx, next start, ...)
// docs/zero-code.md lists the variables.
import { esmBuildsPatched } from './esm-builds';
import { registerFromEnvironment } from './register-environment';

registerFromEnvironment();
// The app loads after this module: wait until SDK instances only `import()` reaches (tsx) are patched.
await esmBuildsPatched();
