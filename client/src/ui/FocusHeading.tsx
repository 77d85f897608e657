import { type ReactNode, useEffect, useRef } from 'react';

interface FocusHeadingProps {
  level?: 1 | 2;
  /** Move keyboard focus here when the heading appears (after a change of view). */
  focusOnMount?: boolean;
  id?: string;
  children: ReactNode;
}

/** A page heading that can take focus, so keyboard and screen-reader users land on the new view. */
export function FocusHeading({ level = 1, focusOnMount = false, id, children }: FocusHeadingProps) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusOnMount) ref.current?.focus();
  }, [focusOnMount]);
  const Tag = level === 1 ? 'h1' : 'h2';
  return (
    <Tag ref={ref} id={id} tabIndex={-1} className="focus-heading">
      {children}
    </Tag>
  );
}
