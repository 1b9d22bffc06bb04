/**
 * My work, polled every 10 s for as long as someone is signed in (the menu
 * badge and the page title show the count on every page; the My work page
 * shows the list). A poll is skipped while the tab is hidden.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { api } from './api';
import type { WorkList } from './types';

export const WORK_POLL_MS = 10_000;

interface WorkState {
  work: WorkList | null;
  error: string | null;
  reload: () => Promise<void>;
}

export const WorkContext = createContext<WorkState>({ work: null, error: null, reload: async () => undefined });
export const useWork = () => useContext(WorkContext);

export function useWorkPolling(enabled: boolean): WorkState {
  const [work, setWork] = useState<WorkList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inFlight = useRef(false);

  const reload = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      setWork(await api<WorkList>('/work'));
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    if (!enabled) {
      setWork(null);
      return;
    }
    void reload();
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') void reload();
    }, WORK_POLL_MS);
    const onVisible = () => document.visibilityState === 'visible' && void reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [enabled, reload]);

  return { work, error, reload };
}

/** The page title with the work count first: "(3) 我的工作". */
export function usePageTitle(name: string): void {
  const { work } = useWork();
  const count = work?.total;
  useEffect(() => {
    document.title = count === undefined ? name : `(${count}) ${name}`;
  }, [name, count]);
}
