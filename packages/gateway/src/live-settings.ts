// The gateway's settings while it runs: read from the options and the policy file's `gateway:` section
// at start, then re-read whenever the policy file changes (core's watcher: all or nothing, a bad file
// reported once), so that virtual keys, their attribution and providers, upstreams and the drain
// timeout change without a restart. A request reads the settings once, when it arrives: one in flight
// finishes on the upstream it started with.
import type { PolicyFileError } from '@genops/core';
import { watchPolicyFile } from '@genops/core';
import { diag } from '@opentelemetry/api';
import { type GatewayOptions, type ResolvedSettings, resolveSettings } from './options';

/** The settings in force, swapped (one reference) on every good reload. */
export interface LiveSettings {
  readonly current: ResolvedSettings;
  /** Stops watching the file. Idempotent. */
  close(): void;
}

/** Settings the running server took at start: a change to them needs a restart. */
const FIXED = ['host', 'port', 'maxBodyBytes'] as const;

/** Settings that never change (no policy file, or a GenOps instance given). */
export function fixedSettings(settings: ResolvedSettings): LiveSettings {
  return { current: settings, close() {} };
}

/**
 * Watches `file` and swaps in its `gateway:` section when it changes. A section that does not resolve
 * (a bad field, a key variable not set) keeps the settings in force; its `PolicyFileError` (naming the
 * field) goes to `diag.error` and `onError`, once per bad content. A file that does not parse at all
 * is core's to report (its own watcher keeps the last good policy): not reported twice.
 */
export function watchGatewaySettings(
  file: string,
  options: GatewayOptions,
  onError: ((error: Error) => void) | undefined,
): LiveSettings {
  const ours = new WeakSet<object>();
  const watcher = watchPolicyFile(file, {
    compile: (document) => {
      try {
        return resolveSettings(options, document.gateway);
      } catch (error) {
        if (typeof error === 'object' && error !== null) ours.add(error);
        throw error;
      }
    },
    onChange: (next) => {
      current = keepFixed(current, next);
    },
    onError: (error: PolicyFileError) => {
      const cause = (error as { cause?: unknown }).cause;
      if (typeof cause !== 'object' || cause === null || !ours.has(cause)) return;
      diag.error(
        `genops gateway: the gateway: section of ${file} could not be applied; the settings in force stay. ${error.message}`,
      );
      if (!onError) return;
      try {
        onError(error);
      } catch (hookError) {
        diag.warn('genops gateway: onPolicyError threw (ignored)', hookError);
      }
    },
  });
  // The file as read now (it may have changed since the gateway first read it).
  let current = watcher.current;
  return {
    get current() {
      return current;
    },
    close: () => watcher.close(),
  };
}

/** `next` with the settings the server took at start kept from `running` (a warning when they changed). */
function keepFixed(running: ResolvedSettings, next: ResolvedSettings): ResolvedSettings {
  const changed = FIXED.filter((field) => running[field] !== next[field]);
  if (changed.length === 0) return next;
  diag.warn(
    `genops gateway: gateway.${changed.join(', gateway.')} changed in the policy file; ` +
      'restart the gateway to apply (the rest of the section is applied)',
  );
  return { ...next, host: running.host, port: running.port, maxBodyBytes: running.maxBodyBytes };
}
