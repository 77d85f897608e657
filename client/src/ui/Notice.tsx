import type { ReactNode } from 'react';

interface NoticeProps {
  id?: string;
  tone?: 'error' | 'info' | 'success';
  children: ReactNode;
}

/** A message announced to screen readers: errors interrupt (alert), the rest waits its turn (status). */
export function Notice({ id, tone = 'info', children }: NoticeProps) {
  return (
    <p id={id} className={`notice notice--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}
