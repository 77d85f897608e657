import { useEffect, useState } from 'react';

const PREFIX = 'collectifs.draft.';

function read<T>(key: string, initial: T): T {
  try {
    const stored = localStorage.getItem(PREFIX + key);
    return stored ? { ...initial, ...(JSON.parse(stored) as T) } : initial;
  } catch {
    return initial;
  }
}

/**
 * Form state kept in localStorage as it is typed, so an expired session or a reload never loses unsaved text.
 * `clear()` forgets it once the server has accepted the form.
 */
export function useDraft<T extends object>(key: string, initial: T) {
  const [value, setValue] = useState<T>(() => read(key, initial));
  useEffect(() => {
    try {
      localStorage.setItem(PREFIX + key, JSON.stringify(value));
    } catch {
      // Storage unavailable: the draft lives as long as the component.
    }
  }, [key, value]);
  function clear() {
    try {
      localStorage.removeItem(PREFIX + key);
    } catch {
      // nothing stored
    }
    setValue(initial);
  }
  return [value, setValue, clear] as const;
}
