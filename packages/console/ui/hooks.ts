import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api';

/** Loads `path` now and every `everyMs` (the page is "live"); `reload()` loads it at once. */
export function usePoll<T>(path: string, everyMs: number, onUnauthenticated: () => void) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const reload = useCallback(async () => {
    try {
      setData(await api<T>(path));
      setError(undefined);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) onUnauthenticated();
      else setError(caught instanceof Error ? caught.message : String(caught));
    }
  }, [path, onUnauthenticated]);
  useEffect(() => {
    void reload();
    const timer = setInterval(() => void reload(), everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
  return { data, error, reload };
}

export function usd(value: number): string {
  // To the micro-dollar, trailing zeros dropped, at least two decimals: $6.015, $0.0066, $20.00.
  const text = String(Number(value.toFixed(6)));
  const decimals = text.includes('.') ? text.split('.')[1]!.length : 0;
  return `$${decimals >= 2 ? text : value.toFixed(2)}`;
}

export function amount(value: number, unit: string): string {
  return unit === 'USD' ? usd(value) : `${Math.round(value).toLocaleString('en-US')} ${unit}`;
}

export function attributionText(attribution: Record<string, string>): string {
  const entries = Object.entries(attribution);
  return entries.length ? entries.map(([key, value]) => `${key}=${value}`).join(', ') : '—';
}

export function when(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').slice(0, 19);
}
