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
  screenshot,
  twoEditorsOnSeededSection,
} from '../support/browser.js';

const app = browserAppForFile();

/** The seeded joint deal's tender response and its technical proposal (a draft both partners write). */

/** The editor's text without the remote carets' name labels. */
const editorText = (page: Page) =>
  page.evaluate(() => {
    const root = document.querySelector('[data-testid="editor"] .ProseMirror')?.cloneNode(true) as HTMLElement | undefined;
    if (!root) return '';
    for (const caret of root.querySelectorAll('[data-testid="remote-caret"]')) caret.remove();
    return [...root.querySelectorAll('p, li, h1, h2, h3')].map((block) => block.textContent ?? '').join('\n');
  });

const CURRENT_COUNT = '[data-testid="section-item"][aria-current="true"] [data-testid="word-count"]';

async function waitForText(page: Page, text: string): Promise<void> {
  // Polled from here: a page that is not in front has its timers throttled, so in-page polling lags.
  await expect.poll(() => editorText(page), { timeout: 15_000, interval: 100 }).toContain(text);
}

describe.skipIf(!chromiumAvailable)('co-editing a tender response section in two browsers', () => {
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

  /** Screenshots of both screens when a step fails, with what the pages logged. */
  const step = (name: string, run: () => Promise<void>) =>
    runStep(app, () => ({ camille: pageA, thomas: pageB }), name, run, { screenshots: true });

  it('each person sees the other’s text and cursor while both type', async () => {
    await step('coediting', async () => {
      await expect(pageA.locator('[data-testid="section-item"][aria-current="true"]').textContent()).resolves.toContain(
        target.title,
      );
      const countBefore = await pageB.locator(CURRENT_COUNT).textContent();

      // Camille writes at the start of the text, Thomas in a new paragraph at its end, at the same time.
      const fromCamille = 'Camille rédige la méthodologie.';
      const fromThomas = 'Thomas ajoute le calendrier.';
      await pageA.locator(EDITOR).click();
      await pageA.keyboard.press('Control+Home');
      await pageB.locator(EDITOR).click();
      await caretToEnd(pageB);
      await pageB.keyboard.press('Enter');
      await Promise.all([pageA.keyboard.type(`${fromCamille} `, { delay: 25 }), pageB.keyboard.type(fromThomas, { delay: 25 })]);

      for (const page of [pageA, pageB]) {
        await waitForText(page, fromCamille);
        await waitForText(page, fromThomas);
      }
      // Both documents converge to the same text.
      await expect.poll(async () => (await editorText(pageA)) === (await editorText(pageB)), { timeout: 10_000 }).toBe(true);

      // Each sees the other's caret with their name, and both avatars.
      await pageA.locator('[data-testid="remote-caret"]', { hasText: 'Thomas' }).first().waitFor({ timeout: 15_000 });
      await pageB.locator('[data-testid="remote-caret"]', { hasText: 'Camille' }).first().waitFor({ timeout: 15_000 });
      for (const page of [pageA, pageB])
        await expect.poll(() => page.locator('[data-testid="presence-avatar"]').count(), { timeout: 10_000 }).toBe(2);

      // The server's word count moves without a reload.
      await expect.poll(() => pageB.locator(CURRENT_COUNT).textContent(), { timeout: 15_000 }).not.toBe(countBefore);

      // What the server stored is what both wrote.
      const stored = await graphqlRequest(
        app.url,
        `query ($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }`,
        { id: target.sectionId },
        camille.token,
      );
      expect(stored.node.content.markdown).toContain(fromCamille);
      expect(stored.node.content.markdown).toContain(fromThomas);
    });
  }, 90_000);

  it('keeps editing offline and hands the text over on reconnection', async () => {
    await step('coediting-offline', async () => {
      await thomas.context.setOffline(true);
      await pageB.locator('[data-testid="connection-status"][data-state="offline"]').waitFor({ timeout: 10_000 });
      await pageB.locator(EDITOR).click();
      await pageB.keyboard.press('Control+End');
      await pageB.keyboard.type(' Écrit hors ligne.', { delay: 10 });
      await screenshot(pageB, 'coediting-offline-thomas-offline');
      await thomas.context.setOffline(false);
      await pageB.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
      await waitForText(pageA, 'Écrit hors ligne.');
      await expect.poll(async () => (await editorText(pageA)) === (await editorText(pageB)), { timeout: 10_000 }).toBe(true);
    });
  }, 60_000);

  it('approves as reviewer, shows a stale approval, saves and restores a version, exports', async () => {
    await step('coediting-history', async () => {
      // Thomas reviews the section: his approval shows on both screens, then goes stale when Camille writes.
      await pageB.locator('[data-testid="approve-button"]').click();
      await pageA.locator('[data-testid="approval"]', { hasText: 'Approuvée par Thomas Girard' }).waitFor({ timeout: 15_000 });
      await pageA.locator(EDITOR).click();
      await caretToEnd(pageA);
      await pageA.keyboard.type(' Une phrase de plus.', { delay: 10 });
      await pageB.locator('[data-testid="approval-stale"]', { hasText: 'approbation périmée' }).waitFor({ timeout: 15_000 });

      // A named version, more text, then the version restored: both editors come back to it. The version is the
      // server's text: saved once Thomas's page shows the whole sentence (the approval goes stale with its first
      // letters, while the last ones may still be on their way).
      await waitForText(pageB, 'Une phrase de plus.');
      const saved = await editorText(pageA);
      await pageA.getByLabel('Nom de la version').fill('Avant relecture');
      await pageA.getByRole('button', { name: 'Enregistrer une version' }).click();
      const version = pageA.locator('[data-testid="version-item"]', { hasText: 'Avant relecture' });
      await version.waitFor({ timeout: 10_000 });
      await pageA.locator(EDITOR).click();
      await caretToEnd(pageA);
      await pageA.keyboard.type(' À retirer.', { delay: 10 });
      await waitForText(pageB, 'À retirer.');
      // Restoring asks first in the app's own dialog, never the browser's: cancelled, nothing changes.
      const native: string[] = [];
      pageA.on('dialog', (dialog) => {
        native.push(dialog.type());
        void dialog.dismiss();
      });
      const confirm = pageA.locator('[data-testid="confirm-dialog"]');
      await version.getByRole('button', { name: 'Restaurer' }).click();
      await confirm.getByRole('heading', { name: /Restaurer la version.*Avant relecture/ }).waitFor({ timeout: 10_000 });
      await screenshot(pageA, 'section-restore-confirm');
      await confirm.locator('[data-testid="confirm-no"]').click();
      await confirm.waitFor({ state: 'detached' });
      expect(await editorText(pageA)).toContain('À retirer.');
      await version.getByRole('button', { name: 'Restaurer' }).click();
      await confirm.locator('[data-testid="confirm-yes"]').click();
      for (const page of [pageA, pageB]) await expect.poll(() => editorText(page), { timeout: 15_000 }).toBe(saved);
      expect(native).toEqual([]);

      // Exports download the whole response.
      const [markdown] = await Promise.all([
        pageA.waitForEvent('download'),
        pageA.locator('[data-testid="export-markdown"]').click(),
      ]);
      expect(markdown.suggestedFilename()).toMatch(/\.md$/);
      const [docx] = await Promise.all([pageA.waitForEvent('download'), pageA.locator('[data-testid="export-docx"]').click()]);
      expect(docx.suggestedFilename()).toMatch(/\.docx$/);
    });
  }, 90_000);
});
