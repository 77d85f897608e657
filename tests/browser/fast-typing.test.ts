// Typing faster than co-editing's allowance (COEDITING_MESSAGES_PER_SECOND, set to 3 here so that any typist is past
// it): the editor waits as the server's RATE_LIMITED says and sends what is pending then. It used to take the
// refusal for a lost connection, show itself reconnecting and resubscribe (a fast typist met it 4 times in 64
// characters at 15 ms each, when pushes counted against MUTATIONS_PER_SECOND).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  caretToEnd,
  chromiumAvailable,
  EDITOR,
  graphqlRequest,
  runStep,
  type SignedIn,
  twoEditorsOnSeededSection,
} from '../support/browser.js';

const app = browserAppForFile({ COEDITING_MESSAGES_PER_SECOND: '3', LOG_LEVEL: 'info' });

/** The text of the page's section editor, from its document (the co-authors' carets are decorations, not text). */
const documentText = (page: Page) =>
  page.evaluate(
    (selector) =>
      (document.querySelector(selector) as (Element & { editor?: { state: { doc: { textContent: string } } } }) | null)?.editor
        ?.state.doc.textContent ?? '',
    EDITOR,
  );

describe.skipIf(!chromiumAvailable)('typing faster than co-editing’s allowance', () => {
  let camille: SignedIn;
  let thomas: SignedIn;
  let pageA: Page;
  let pageB: Page;
  let target: { responseId: string; sectionId: string; title: string };

  beforeAll(async () => {
    ({ camille, thomas, pageA, pageB, target } = await twoEditorsOnSeededSection(app));
  }, 60_000);
  afterAll(async () => {
    await camille?.context.close();
    await thomas?.context.close();
  });

  it('stays connected, and every keystroke reaches the co-author and is stored', async () => {
    await runStep(
      app,
      () => ({ camille: pageA, thomas: pageB }),
      'fast-typing',
      async () => {
        // Every state the connection status shows from now on, whatever element React renders it in.
        await pageA.evaluate(() => {
          const seen: string[] = [];
          (window as unknown as { connectionStates: string[] }).connectionStates = seen;
          const record = () => {
            const state = document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state') ?? 'none';
            if (seen.at(-1) !== state) seen.push(state);
          };
          record();
          new MutationObserver(record).observe(document.body, {
            subtree: true,
            childList: true,
            attributes: true,
            attributeFilter: ['data-state'],
          });
        });
        const logged = app.server.output().length;
        const typed = 'Soixante-quatre caractères tapés très vite, bien plus que trois par seconde !!';
        await pageA.locator(EDITOR).click();
        await caretToEnd(pageA);
        await pageA.keyboard.type(typed, { delay: 15 });

        await expect.poll(() => documentText(pageB), { timeout: 60_000, interval: 100 }).toContain(typed);
        await expect
          .poll(
            async () =>
              (
                await graphqlRequest(
                  app.url,
                  `query ($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }`,
                  { id: target.sectionId },
                  camille.token,
                )
              ).node.content.markdown as string,
            { timeout: 30_000, interval: 200 },
          )
          .toContain(typed);
        // The allowance was met (the test tests the wait), and the editor never left "connected".
        expect(app.server.output().slice(logged)).toContain('"limit":"coeditingMessagesPerSecond"');
        expect(await pageA.evaluate(() => (window as unknown as { connectionStates: string[] }).connectionStates)).toEqual([
          'connected',
        ]);
        expect(await documentText(pageA)).toBe(await documentText(pageB));
      },
    );
  }, 120_000);
});
