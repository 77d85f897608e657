import { createContext, useContext } from 'react';

/** What a screen may ask of the signed-in session. */
export interface SessionActions {
  /** Forgets this browser's token (and its offline copies) and shows the sign-in form with `message` above it. */
  endSession(message?: string): void;
}

export const SessionContext = createContext<SessionActions>({ endSession: () => {} });

/** The session's actions, for screens that end it themselves (leaving the cooperative). */
export function useSession(): SessionActions {
  return useContext(SessionContext);
}
