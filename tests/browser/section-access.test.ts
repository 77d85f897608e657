import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  CAMILLE,
  caretToEnd,
  chromiumAvailable,
  EDITOR,
  graphqlRequest,
  pageErrors,
  runStep,
  type SignedIn,
  signedInContext,
  THOMAS,
} from '../support/browser.js';

// A section's access ending while its editor page is idle (restricted to a partner the member is not): the page must
// close the editing session visibly, delete this browser's copy of the text, and never keep editing a copy that no
// longer follows the server (attack report F1, F2, F5).

const app = browserAppForFile();

interface Target {
  responseId: string;
  sectionId: string;
  title: string;
  dealId: string;
  /** Camille's partner entry (the lead): the section restricted to it is closed to Thomas. */
  camillePartner: string;
  camilleId: string;
  thomasId: string;
}

async function seededTarget(token: string): Promise<Target> {
  const data = await graphqlRequest(
    app.url,
    `{ tenderResponses(first: 10) { edges { node { id
        deal { id partners { id isLead member { id email } } }
        sections { id title kind status } } } } }`,
    {},
    token,
  );
  for (const { node } of data.tenderResponses.edges) {
    const section = node.sections.find(
      (s: { kind: string; status: string }) => s.kind === 'TECHNICAL_PROPOSAL' && s.status === 'DRAFT',
    );
    const partners = (node.deal?.partners ?? []) as {
      id: string;
      isLead: boolean;
      member: { id: string; email: string } | null;
    }[];
    const camille = partners.find((p) => p.member?.email === CAMILLE);
    const thomas = partners.find((p) => p.member?.email === THOMAS);
    if (section && camille?.member && thomas?.member)
      return {
        responseId: node.id,
        sectionId: section.id,
        title: section.title,
        dealId: node.deal.id,
        camillePartner: camille.id,
        camilleId: camille.member.id,
        thomasId: thomas.member.id,
      };
  }
  throw new Error(`No draft technical proposal shared by Camille and Thomas in ${JSON.stringify(data)}`);
}

async function restrict(target: Target, token: string, restricted: boolean): Promise<void> {
  const input = restricted
    ? {
        sectionId: target.sectionId,
        ownerPartnerId: target.camillePartner,
        restricted: true,
        assigneeId: target.camilleId,
        reviewerId: null,
      }
    : { sectionId: target.sectionId, restricted: false };
  const data = await graphqlRequest(
    app.url,
    `mutation ($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }`,
    { input },
    token,
  );
  expect(data.updateTenderSection.__typename).toBe('MutationUpdateTenderSectionSuccess');
}

/** The editor's text without the remote carets' name labels. */
const editorText = (page: Page) =>
  page.evaluate(() => {
    const root = document.querySelector('[data-testid="editor"] .ProseMirror')?.cloneNode(true) as HTMLElement | undefined;
    if (!root) return '';
    for (const caret of root.querySelectorAll('[data-testid="remote-caret"]')) caret.remove();
    return [...root.querySelectorAll('p, li, h1, h2, h3')].map((block) => block.textContent ?? '').join('\n');
  });

/** The IndexedDB databases of this page's origin. */
const databases = (page: Page) => page.evaluate(async () => (await indexedDB.databases()).map((database) => database.name ?? ''));

const storeName = (target: Target) => `collectifs-offline:${target.thomasId}:${target.sectionId}`;

async function openSection(page: Page, target: Target): Promise<void> {
  await page.goto(`/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(target.sectionId)}`);
  await page.locator(EDITOR).waitFor({ timeout: 20_000 });
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
}

describe.skipIf(!chromiumAvailable)('a section whose access ends while its editor is open', () => {
  let camille: SignedIn;
  let thomas: SignedIn;
  let pageA: Page;
  let pageB: Page;
  let target: Target;

  beforeAll(async () => {
    camille = await signedInContext(app, CAMILLE);
    thomas = await signedInContext(app, THOMAS);
    target = await seededTarget(camille.token);
  }, 60_000);
  afterEach(async () => {
    await pageA?.close();
    await pageB?.close();
    // Open to both again, whatever the test did: the next one starts from the seeded section.
    if (target) await restrict(target, camille.token, false);
  });
  afterAll(async () => {
    await camille?.context.close();
    await thomas?.context.close();
  });

  /** Both pages on the section, Thomas's offline copy written, nobody typing. */
  async function bothOpen(): Promise<void> {
    pageA = await camille.context.newPage();
    pageB = await thomas.context.newPage();
    pageErrors(pageA);
    pageErrors(pageB);
    await Promise.all([openSection(pageA, target), openSection(pageB, target)]);
    await expect.poll(() => databases(pageB), { timeout: 10_000 }).toContain(storeName(target));
  }

  const step = (name: string, run: () => Promise<void>) =>
    runStep(app, () => ({ camille: pageA, thomas: pageB }), name, run, { screenshots: true });

  it('closes an idle page visibly, read-only, and deletes its copy of the text', async () => {
    await step('access-revoked-idle', async () => {
      await bothOpen();
      await restrict(target, camille.token, true);
      const status = pageB.locator('[data-testid="connection-status"]');
      await expect.poll(() => status.getAttribute('data-state'), { timeout: 15_000 }).toBe('closed');
      await expect(status.textContent()).resolves.toContain('Vous n’avez plus accès à cette section.');
      // Not editable any more, and the text is gone from this browser; the page says so.
      await expect.poll(() => pageB.locator(EDITOR).count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => databases(pageB), { timeout: 10_000 }).not.toContain(storeName(target));
      await pageB
        .locator('[data-testid="section-closed"]', { hasText: 'Son texte a été retiré de ce navigateur' })
        .waitFor({ timeout: 10_000 });
      await expect(pageB.getByText('gardées dans ce navigateur').count()).resolves.toBe(0);
      // The section list no longer offers the section, and the page still says why rather than open another.
      await expect
        .poll(() => pageB.locator('[data-testid="section-item"]', { hasText: target.title }).count(), { timeout: 15_000 })
        .toBe(0);
      await pageB.locator('[data-testid="section-closed"]').waitFor({ timeout: 10_000 });
      // A reload does not bring the copy back.
      await pageB.reload();
      await pageB.locator('main h1').first().waitFor({ timeout: 20_000 });
      expect(await databases(pageB)).not.toContain(storeName(target));
    });
  }, 120_000);

  it('deletes at load the copy of a section restricted away while no page had it open', async () => {
    await step('access-revoked-at-load', async () => {
      await bothOpen();
      // Thomas leaves the section: his copy stays, as for any section, for his next visit.
      await pageB.goto('/tableau-de-bord');
      await pageB.locator('main h1').first().waitFor({ timeout: 20_000 });
      await restrict(target, camille.token, true);
      expect(await databases(pageB)).toContain(storeName(target));
      await pageB.reload();
      await expect.poll(() => databases(pageB), { timeout: 15_000 }).not.toContain(storeName(target));
      await pageB
        .locator('[data-testid="offline-stores-forgotten"]', {
          hasText: 'Une section que vous gardiez pour le travail hors ligne',
        })
        .waitFor({ timeout: 10_000 });
    });
  }, 120_000);

  it('drops a section restricted away from every open page of the member, without a reload', async () => {
    await step('access-revoked-other-pages', async () => {
      await bothOpen();
      // Thomas works in another section, and has the deal's page open in another tab: neither shows this one's text,
      // both list it (title, status), until the restriction tells them it is no longer his.
      const other = pageB.locator('[data-testid="section-item"]').filter({ hasNotText: target.title }).first();
      const otherTitle = (await other.textContent()) ?? '';
      await other.click();
      await pageB.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
      const dealPage = await thomas.context.newPage();
      pageErrors(dealPage);
      try {
        await dealPage.goto(`/affaires/${encodeURIComponent(target.dealId)}`);
        const dealRow = dealPage.locator('tbody th[scope="row"]', { hasText: target.title });
        await dealRow.waitFor({ timeout: 20_000 });
        await restrict(target, camille.token, true);
        await expect
          .poll(() => pageB.locator('[data-testid="section-item"]', { hasText: target.title }).count(), { timeout: 15_000 })
          .toBe(0);
        await expect.poll(() => dealRow.count(), { timeout: 15_000 }).toBe(0);
        // The section he is in stays open and connected; his copy of the withdrawn one is deleted, and he is told.
        await expect(pageB.locator('[data-testid="section-item"]', { hasText: otherTitle.trim() }).count()).resolves.toBe(1);
        await pageB.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
        await expect.poll(() => databases(pageB), { timeout: 20_000 }).not.toContain(storeName(target));
        await pageB.locator('[data-testid="offline-stores-forgotten"]').waitFor({ timeout: 20_000 });
      } finally {
        await dealPage.close();
      }
    });
  }, 120_000);

  it('restricted then opened again: the idle page never keeps editing a copy that no longer follows', async () => {
    await step('access-revoked-restored', async () => {
      await bothOpen();
      await restrict(target, camille.token, true);
      await restrict(target, camille.token, false);
      const marker = `Après la réouverture ${Date.now().toString(36)}.`;
      await pageA.locator(EDITOR).click();
      await caretToEnd(pageA);
      await pageA.keyboard.type(` ${marker}`, { delay: 10 });
      // Either the page followed (it shows Camille's text) or it said it no longer does (closed): never connected
      // and editable without her text.
      const status = pageB.locator('[data-testid="connection-status"]');
      await expect
        .poll(async () => (await status.getAttribute('data-state')) === 'closed' || (await editorText(pageB)).includes(marker), {
          timeout: 20_000,
        })
        .toBe(true);
      if ((await status.getAttribute('data-state')) === 'closed') {
        expect(await pageB.locator(EDITOR).count()).toBe(0);
        // Reopened, the page starts again from the server's text and follows it.
        await pageB.locator('[data-testid="section-reopen"]').click();
        await pageB.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
        await expect.poll(() => editorText(pageB), { timeout: 15_000 }).toContain(marker);
        const more = `Puis encore ${Date.now().toString(36)}.`;
        await pageA.keyboard.type(` ${more}`, { delay: 10 });
        await expect.poll(() => editorText(pageB), { timeout: 15_000 }).toContain(more);
      }
    });
  }, 120_000);
});
