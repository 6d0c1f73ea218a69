import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Resource<T> =
  | { state: 'loading'; reload: () => void }
  | { state: 'error'; error: Error; reload: () => void }
  | { state: 'ready'; data: T; reload: () => void };

type Result<T> = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'ready'; data: T };

/**
 * Loads `load()` whenever `deps` change (showing loading meanwhile); `reload()` loads again but
 * keeps what is shown until the answer comes (no flicker while polling). An answer that arrives
 * after a newer request is dropped.
 */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [result, setResult] = useState<Result<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const shownGeneration = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    const quiet = generation !== shownGeneration.current;
    shownGeneration.current = generation;
    if (!quiet) setResult({ state: 'loading' });
    load().then(
      (data) => ticket === latest.current && setResult({ state: 'ready', data }),
      (error: unknown) => ticket === latest.current && setResult({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...result, reload } as Resource<T>;
}

/** Calls `tick` every `ms` while `active`. */
export function usePolling(tick: () => void, ms: number, active: boolean): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => saved.current(), ms);
    return () => clearInterval(timer);
  }, [ms, active]);
}
