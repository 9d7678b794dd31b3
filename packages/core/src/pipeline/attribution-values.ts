import type { Attribution } from '../types';

/** The environment a call is attributed to: its attribution, else NODE_ENV, else `development`. */
export function environmentOf(attribution: Readonly<Attribution>): string {
  return attribution.environment ?? process.env.NODE_ENV ?? 'development';
}
