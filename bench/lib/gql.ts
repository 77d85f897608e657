import { DEMO_ACCOUNT } from '../../server/src/seed/demo.js';

// biome-ignore lint/suspicious/noExplicitAny: a benchmark reads a few known fields of the JSON answer and checks them.
export type Json = any;

/** One GraphQL request over HTTP; throws on GraphQL errors so a benchmark never measures failures. */
export async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Json> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Json; errors?: unknown };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Signs a demo member in (the demo password) and returns the session token. */
export async function signIn(url: string, email: string = DEMO_ACCOUNT.email): Promise<string> {
  const data = await gql(
    url,
    'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { __typename ... on MutationSignInSuccess { data { token } } } }',
    { e: email, p: DEMO_ACCOUNT.password },
  );
  const token = data.signIn?.data?.token;
  if (typeof token !== 'string') throw new Error(`Sign-in of ${email} failed: ${JSON.stringify(data)}`);
  return token;
}

/** Runs `work` with a deadline: the benchmarks are bounded in time whatever the server does. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
