import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The deploy/ folder. */
export const deployDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const repoRoot = join(deployDir, '..');
