/**
 * @module The tab the popup is about (tab.ts finds it), found once per query string.
 */
import { useEffect, useState } from 'preact/hooks';
import { findTab, type PopupTab } from './tab';

export type TabState = { loading: true } | { loading: false; tab: PopupTab | undefined };

export function useTab(search: string): TabState {
  const [state, setState] = useState<TabState>({ loading: true });
  useEffect(() => {
    let current = true;
    void findTab(search).then((found) => {
      if (current) setState({ loading: false, tab: found });
    });
    return () => {
      current = false;
    };
  }, [search]);
  return state;
}
