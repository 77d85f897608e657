import { createClient as createWsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';

/** Where the session token is kept between visits. */
export const TOKEN_KEY = 'collectifs.token';

export function readToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled (private mode, policy): behave as signed out
  }
}

export function writeToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage unavailable: the session lasts as long as the page.
  }
}

function bearer(): string | null {
  const token = readToken();
  return token ? `Bearer ${token}` : null;
}

function websocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

export interface GraphqlSession {
  client: Client;
  /** Closes the WebSocket; call when the session (token) changes. */
  dispose(): void;
}

/**
 * Builds the urql client: document cache, then queries and mutations over HTTP (POST, with the bearer token),
 * and subscriptions over graphql-ws (the token goes in the connection parameters).
 * Build a new one whenever the token changes, so the cache never mixes two viewers.
 */
export function createGraphqlSession(): GraphqlSession {
  const ws = createWsClient({
    url: websocketUrl(),
    lazy: true,
    connectionParams: () => {
      const authorization = bearer();
      return authorization ? { authorization } : {};
    },
  });

  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    fetchOptions: () => {
      const authorization = bearer();
      return authorization ? { headers: { authorization } } : {};
    },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    dispose: () => void ws.dispose(),
  };
}
