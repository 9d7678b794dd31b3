// The `egress` option of GenOps.init() and the GENOPS_EGRESS / GENOPS_EGRESS_HOSTS variables.
import { z } from 'zod';
import { ConfigError } from '../errors/config-error';
import type { EgressHostOption } from './hosts';

/** What happens to a request to a model provider that no governed unit made. */
export type EgressMode = 'govern' | 'deny' | 'warn' | 'off';

export const EGRESS_MODES: readonly EgressMode[] = ['govern', 'deny', 'warn', 'off'];

/** The default: requests to provider hosts outside a governed unit are governed from the wire. */
export const DEFAULT_EGRESS_MODE: EgressMode = 'govern';

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const hostSchema = z.union([
  z.string().min(1),
  z.strictObject({ host: z.string().min(1), provider: z.string().min(1).optional() }),
]);

export const egressOptionSchema = z.union([
  z.enum(['govern', 'deny', 'warn', 'off']),
  z.strictObject({
    mode: z.enum(['govern', 'deny', 'warn', 'off']).optional(),
    /** More provider hosts: `'localhost:11434'`, `'http://litellm:4000'`, `'*.example.internal'`, or `{ host, provider }`. */
    hosts: z.array(hostSchema).optional(),
    /** Largest request or JSON response body egress reads (bytes; default 16 MiB). */
    maxBodyBytes: z.number().int().min(1024).max(1_073_741_824).optional(),
  }),
]);

export type EgressOptions = z.input<typeof egressOptionSchema>;

export interface ResolvedEgress {
  mode: EgressMode;
  hosts: EgressHostOption[];
  maxBodyBytes: number;
}

/** The option (validated by the init schema) merged with the environment; the option wins. */
export function resolveEgress(option: EgressOptions | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedEgress {
  const object = typeof option === 'object' ? option : {};
  const fromOption = typeof option === 'string' ? option : object.mode;
  const fromEnv = env.GENOPS_EGRESS?.trim().toLowerCase() || undefined;
  if (fromEnv !== undefined && !EGRESS_MODES.includes(fromEnv as EgressMode))
    throw new ConfigError({
      path: 'GENOPS_EGRESS',
      message: `got "${env.GENOPS_EGRESS}"`,
      expected: '"govern", "deny", "warn" or "off"',
      received: env.GENOPS_EGRESS,
    });
  const envHosts = (env.GENOPS_EGRESS_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host.length > 0);
  return {
    mode: fromOption ?? (fromEnv as EgressMode | undefined) ?? DEFAULT_EGRESS_MODE,
    hosts: [...envHosts, ...(object.hosts ?? [])],
    maxBodyBytes: object.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
}
