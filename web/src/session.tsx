// Who is signed in, for every page: loaded once from GET /api/v1/me, replaced after sign-in,
// password change and enrolment, cleared at sign-out. Pages read it through useSession().
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, type User } from './api';

export interface SessionState {
  // undefined while loading; null when nobody is signed in.
  user: User | null | undefined;
  setUser: (user: User | null) => void;
  refresh: () => Promise<User | null>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState>({
  user: undefined,
  setUser: () => {},
  refresh: async () => null,
  signOut: async () => {},
});

export function useSession(): SessionState {
  return useContext(SessionContext);
}

export function useSessionState(): SessionState {
  const [user, setUser] = useState<User | null | undefined>(undefined);

  const refresh = useCallback(async () => {
    try {
      const me = await api.get<User>('/me');
      setUser(me);
      return me;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setUser(null);
        return null;
      }
      throw err;
    }
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post('/auth/logout');
    } finally {
      setCsrfToken(null);
      setUser(null);
    }
  }, []);

  useEffect(() => {
    refresh().catch(() => setUser(null));
  }, [refresh]);

  return { user, setUser, refresh, signOut };
}
