import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  CAMILLE,
  chromiumAvailable,
  graphqlRequest,
  pageErrors,
  screenshot,
  signedInContext,
  tokenFor,
} from '../support/browser.js';

// Production mode (what `pnpm start` runs), in Chromium, with every request beyond loopback refused: GraphiQL
// must render from its bundled copy, and no page may report a Content-Security-Policy violation.
const app = browserAppForFile({ NODE_ENV: 'production' });

/** What a context's pages asked beyond loopback (refused), and the CSP violations they reported. */
interface Watch {
  outside: string[];
  violations: string[];
}

/** Refuses every request that leaves the machine and records CSP violations (the event and the console's word). */
async function watch(context: BrowserContext): Promise<Watch> {
  const seen: Watch = { outside: [], violations: [] };
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (
      ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) &&
      !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
    ) {
      seen.outside.push(url.href);
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  await context.exposeBinding('__cspViolation', (_source, text: string) => {
    seen.violations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { __cspViolation: (text: string) => void }).__cspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  context.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) seen.violations.push(message.text());
  });
  return seen;
}

async function scenario(name: string, page: Page, run: () => Promise<void>): Promise<void> {
  const errors = pageErrors(page);
  try {
    await run();
  } catch (error) {
    await screenshot(page, `${name}-failure`).catch(() => {});
    throw new Error(`${String(error)}\nPage errors: ${errors.join('\n')}`);
  }
}

describe.skipIf(!chromiumAvailable)('Production mode in a real browser', () => {
  it('renders GraphiQL offline from its bundled copy, under its CSP, and runs a query', async () => {
    const context = await app.browser.newContext({ baseURL: app.url });
    const seen = await watch(context);
    const page = await context.newPage();
    await scenario('production-graphiql', page, async () => {
      const response = await page.goto('/graphql', { waitUntil: 'load' });
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(response?.headers()['x-content-type-options']).toBe('nosniff');
      expect(response?.headers()['referrer-policy']).toBe('strict-origin-when-cross-origin');
      await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
      // The editors are up (Monaco, whose workers come from blob: URLs), and a query typed there runs.
      const query = page.locator('.graphiql-query-editor .monaco-editor').first();
      await query.waitFor({ timeout: 30_000 });
      // The response pane's text (Monaco draws spaces as no-break spaces).
      const shown = async () => ((await page.locator('.graphiql-response').first().textContent()) ?? '').replace(/\s+/g, ' ');
      // GraphiQL asks for the schema as it opens, which an anonymous caller is refused, and writes the refusal into
      // the response pane whenever it arrives: awaited first, or on a loaded machine it lands after the query's
      // answer and replaces it.
      await expect.poll(shown, { timeout: 30_000 }).toContain('Connectez-vous pour consulter le schéma');
      await query.click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('{ __typename');
      await page.locator('.graphiql-execute-button').first().click();
      await expect.poll(shown, { timeout: 15_000 }).toContain('"Query"');
      await screenshot(page, 'production-graphiql');
    });
    expect(seen.outside).toEqual([]);
    expect(seen.violations).toEqual([]);
    await context.close();
  }, 120_000);

  it('runs the app, its dashboard charts and its editor with no CSP violation and nothing fetched from outside', async () => {
    const { context, token } = await signedInContext(app, CAMILLE);
    const seen = await watch(context);
    const page = await context.newPage();
    await scenario('production-app', page, async () => {
      const response = await page.goto('/tableau-de-bord');
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
      await page.locator('[data-testid="dashboard-collectives-count"]').waitFor({ timeout: 30_000 });
      await page.locator('figure.chart svg').first().waitFor({ timeout: 30_000, state: 'attached' });
      const data = await graphqlRequest(
        app.url,
        '{ tenderResponses(first: 10) { edges { node { id sections { id kind status } } } } }',
        {},
        token,
      );
      const found = (
        data.tenderResponses.edges as Array<{ node: { id: string; sections: Array<{ id: string; status: string }> } }>
      )
        .map(({ node }) => ({ responseId: node.id, section: node.sections.find((s) => s.status === 'DRAFT') }))
        .find(({ section }) => section);
      expect(found).toBeDefined();
      await page.goto(
        `/reponses/${encodeURIComponent(found?.responseId as string)}#section=${encodeURIComponent(found?.section?.id as string)}`,
      );
      await page.locator('[data-testid="editor"] .ProseMirror').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="editor"] .ProseMirror').click();
      await page.keyboard.type(' CSP');
    });
    expect(seen.outside).toEqual([]);
    expect(seen.violations).toEqual([]);
    await context.close();
  }, 120_000);

  it('introspects for signed-in callers only, and suggests no field names', async () => {
    const introspect = (token?: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
      }).then((response) => response.json() as Promise<{ data?: unknown; errors?: Array<{ extensions: { code: string } }> }>);
    expect((await introspect()).errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect((await introspect(await tokenFor(app.url, CAMILLE))).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const typo = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewr { id } }' }),
    }).then((response) => response.json() as Promise<{ errors: Array<{ message: string }> }>);
    expect(typo.errors[0]?.message).toContain('Cannot query field "viewr"');
    expect(typo.errors[0]?.message).not.toContain('Did you mean');
  });

  it('answers CORS only for the configured origins (none here)', async () => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
