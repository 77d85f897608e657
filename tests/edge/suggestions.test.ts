import { describe, expect, it } from 'vitest';
import { type Json, testAppForFile } from '../support/app.js';
import { errorCodes, subscribe } from '../support/live.js';

// Production mode suggests nothing ("Did you mean…" reveals the schema name by name to anonymous callers), on
// every transport, enum values and variables included; a variable that does not fit its type is BAD_USER_INPUT.
const t = testAppForFile({ config: { security: { production: true, introspection: 'signed-in', corsOrigins: [] } } });

const ENUM_VARIABLE = 'query($k: CollectiveKind) { collectives(kind: $k, first: 1) { totalCount } }';
const ENUM_LITERAL = '{ collectives(kind: COMMON, first: 1) { totalCount } }';
const FIELD_TYPO = '{ collectivez(first: 1) { totalCount } }';

async function post(path: string, body: Json, accept = 'application/json') {
  const response = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** The one JSON payload of an SSE answer's `next` event. */
function nextEvent(text: string): Json {
  const data = /event: next\ndata: (.*)\n/.exec(text)?.[1];
  if (!data) throw new Error(`No next event in ${text}`);
  return JSON.parse(data);
}

describe('No suggestions in production', () => {
  it('should name neither the enum value nor the field a caller may have meant, over HTTP', async () => {
    const variable = await post('/graphql', { query: ENUM_VARIABLE, variables: { k: 'COMMON' } });
    expect(variable.status).toBe(400);
    const body = JSON.parse(variable.text);
    expect(body.errors[0].message).toContain('does not exist in "CollectiveKind" enum');
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    for (const query of [ENUM_LITERAL, FIELD_TYPO]) {
      const answer = await post('/graphql', { query });
      expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    for (const answer of [
      variable,
      await post('/graphql', { query: ENUM_LITERAL }),
      await post('/graphql', { query: FIELD_TYPO }),
    ]) {
      expect(answer.text).not.toContain('Did you mean');
      expect(answer.text).not.toContain('COMMONS');
      expect(answer.text).not.toContain('"collectives"');
    }
  });

  it('should suggest nothing over SSE, graphql-sse and graphql-ws either', async () => {
    for (const path of ['/graphql', '/graphql/stream']) {
      const variable = await post(path, { query: ENUM_VARIABLE, variables: { k: 'COMMON' } }, 'text/event-stream');
      expect(nextEvent(variable.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
      const literal = await post(path, { query: ENUM_LITERAL }, 'text/event-stream');
      expect(nextEvent(literal.text).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      for (const answer of [variable, literal]) expect(answer.text).not.toMatch(/Did you mean|COMMONS/);
    }
    const client = t.ws(null);
    const variable = subscribe(client, ENUM_VARIABLE, { k: 'COMMON' });
    const literal = subscribe(client, ENUM_LITERAL);
    await variable.inbox.waitForEnd();
    await literal.inbox.waitForEnd();
    expect(errorCodes(variable.inbox)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify([variable.inbox.errors, literal.inbox.errors])).not.toMatch(/Did you mean|COMMONS/);
    await client.dispose();
  });

  it('should give every variable-coercion error BAD_USER_INPUT, a missing required input field included', async () => {
    const wrongType = await post('/graphql', {
      query: 'query($n: Int!) { collectives(first: $n) { totalCount } }',
      variables: { n: 'x' },
    });
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.text).errors.map((error: Json) => error.extensions.code)).toEqual(['BAD_USER_INPUT']);
    const missing = await post('/graphql', {
      query: 'mutation($i: CreateCollectiveInput!) { createCollective(input: $i) { __typename } }',
      variables: { i: { kind: 'COMMONS' } },
    });
    const codes = JSON.parse(missing.text).errors.map((error: Json) => error.extensions.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['BAD_USER_INPUT']));
  });
});
