import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  CAMILLE,
  caretToEnd,
  chromiumAvailable,
  graphqlRequest,
  openAt,
  pageErrors,
  runStep,
  type SignedIn,
  screenshot,
  selectEnd,
  signedInPages,
  THOMAS,
} from '../support/browser.js';
import { confirm, fieldError, fill, form, submit } from '../support/forms.js';

// A deal and its tender response set up from the browser by the lead (Camille) while a partner (Thomas) watches:
// the deal's terms, sections added, set up and removed, each rule said next to its field. One server for the file.

const app = browserAppForFile();
let camille: SignedIn;
let thomas: SignedIn;
let a: Page;
let b: Page;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  ({
    people: [camille, thomas],
    pages: [a, b],
  } = await signedInPages(app, [CAMILLE, THOMAS]));
}, 240_000);

/** Runs a step; on failure, screenshots both pages and adds what they logged. */
const step = (name: string, run: () => Promise<void>) => runStep(app, () => ({ camille: a, thomas: b }), name, run);

/** The deal and tender response of the `ao-metropole-contenus` collective. */
async function dealAndResponse(): Promise<{ deal: string; response: string }> {
  const data = await graphqlRequest(
    app.url,
    `{ collective(slug: "ao-metropole-contenus") {
      deals(first: 1) { edges { node { id } } }
      tenderResponses(first: 1) { edges { node { id } } } } }`,
    {},
    camille.token,
  );
  return {
    deal: data.collective.deals.edges[0].node.id,
    response: data.collective.tenderResponses.edges[0].node.id,
  };
}

describe.skipIf(!chromiumAvailable)('a deal and its tender response set up from the browser', () => {
  it('changes the deal’s terms live for a partner, a total that breaks the split refused by its field', async () => {
    await step('deal-edit', async () => {
      const { deal } = await dealAndResponse();
      await openAt(a, `/affaires/${deal}`);
      await openAt(b, `/affaires/${deal}`);
      await a.locator('[data-testid="edit-deal"]').click();
      const edit = form(a, 'edit-deal-form');
      await fill(edit, { totalAmountCents: '1' });
      await submit(a, 'edit-deal-form');
      expect(await fieldError(edit, 'totalAmountCents')).not.toBe('');
      await screenshot(a, 'deal-edit-error');
      const title = `Contenus accessibles — offre commune ${Date.now()}`;
      await a.locator('[data-testid="edit-deal"]').click();
      await a.locator('[data-testid="edit-deal"]').click();
      await fill(form(a, 'edit-deal-form'), { title });
      await submit(a, 'edit-deal-form');
      await b.locator('main h1', { hasText: title }).waitFor({ timeout: 15_000 });
      expect(await b.title()).toContain(title);
      await screenshot(b, 'deal-page');
    });
  }, 120_000);

  it('edits the partners: a share that is no number marked by its field, nothing sent; the lead given away only once confirmed', async () => {
    await step('deal-partners-editor', async () => {
      const { deal } = await dealAndResponse();
      const partners = async () =>
        (
          await graphqlRequest(
            app.url,
            'query($id: ID!) { node(id: $id) { ... on Deal { partners { id isLead shareBasisPoints } } } }',
            { id: deal },
            camille.token,
          )
        ).node.partners;
      const before = await partners();
      await openAt(a, `/affaires/${deal}`);
      await a.locator('main button', { hasText: 'Modifier les partenaires' }).click();
      const editor = a.locator('[data-testid="deal-partners-form"]');
      const share = editor.locator('[id$="-p0-shareBasisPoints"]');
      const typed = await share.inputValue();
      await share.fill('abc');
      await editor.locator('button[type="submit"]').click();
      // Before: « Total des parts : NaN % », no field marked, and the list sent anyway.
      await expect.poll(() => share.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
      expect(await a.locator('[data-testid="deal-running-total"]').textContent()).not.toContain('NaN');
      expect(await partners()).toEqual(before);
      await share.fill(typed);
      // Camille leads: another partner named lead, she is asked first (she would lose the restricted sections, and
      // only the new lead could give the role back); cancelled, nothing is sent and the editor stays open.
      await editor.locator('input[type="radio"]:not(:checked)').first().check();
      await editor.locator('button[type="submit"]').click();
      const dialog = a.locator('[data-testid="confirm-dialog"]');
      await dialog.waitFor({ timeout: 10_000 });
      await screenshot(a, 'deal-partners-hand-over');
      await dialog.locator('[data-testid="confirm-no"]').click();
      await dialog.waitFor({ state: 'detached', timeout: 10_000 });
      expect(await editor.count()).toBe(1);
      expect(await partners()).toEqual(before);
      await editor.locator('button', { hasText: 'Annuler' }).click();
    });
  }, 120_000);

  it('adds a section with its limit and restriction checked by the server, seen live, then removes it', async () => {
    await step('tender-sections', async () => {
      const { response } = await dealAndResponse();
      await openAt(a, `/reponses/${response}`);
      await openAt(b, `/reponses/${response}`);
      await a.locator('[data-testid="add-section"]').click();
      const add = form(a, 'add-section-form');
      const title = `Annexe RSE ${Date.now()}`;
      await fill(add, { kind: 'FREE', title, wordLimit: '0' });
      await submit(a, 'add-section-form');
      expect(await fieldError(add, 'wordLimit')).not.toBe('');
      await fill(add, { wordLimit: '800', restricted: true });
      await submit(a, 'add-section-form');
      expect(await fieldError(add, 'ownerPartnerId')).not.toBe('');
      await screenshot(a, 'tender-section-error');
      await fill(add, { restricted: false });
      await submit(a, 'add-section-form');
      const item = b.locator('[data-testid="section-item"]', { hasText: title });
      await item.waitFor({ timeout: 15_000 });
      await expect.poll(() => item.textContent(), { timeout: 15_000 }).toContain('800');

      // Camille opens the new section and removes it; Thomas sees it go.
      await a.locator('[data-testid="section-item"]', { hasText: title }).click();
      await a.locator('[data-testid="move-section-up"]').waitFor();
      await screenshot(a, 'tender-response');
      await a.locator('[data-testid="remove-section"]').click();
      await confirm(a);
      await expect.poll(() => b.locator('[data-testid="section-item"]', { hasText: title }).count(), { timeout: 15_000 }).toBe(0);
    });
  }, 120_000);
  it('formats with the toolbar and its shortcuts, the co-author seeing the selection and the result live', async () => {
    await step('editor-toolbar', async () => {
      const { response } = await dealAndResponse();
      await openAt(a, `/reponses/${response}`);
      await openAt(b, `/reponses/${response}`);
      // The technical proposal (section 2) is being written: both open it.
      for (const page of [a, b]) {
        await page.locator('[data-testid="section-item"]').nth(1).click();
        await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
      }
      const editorA = a.locator('[data-testid="editor"] .ProseMirror');
      await editorA.click();
      await caretToEnd(a);
      await a.keyboard.press('Enter');
      await a.keyboard.type('Notre méthode', { delay: 10 });
      await selectEnd(a, 'méthode');
      // Thomas sees Camille's selection, not only her caret; nobody sees their own caret as someone else's.
      await b.locator('[data-testid="remote-selection"]').first().waitFor({ timeout: 15_000 });
      // A second tab of Camille's: Thomas sees both her carets, Camille's first tab none of her own.
      const again = await camille.context.newPage();
      await openAt(again, `/reponses/${response}`);
      await again.locator('[data-testid="section-item"]').nth(1).click();
      await again.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
      await again.locator('[data-testid="editor"] .ProseMirror').click();
      await expect
        .poll(() => b.locator('[data-testid="remote-caret"]', { hasText: 'Camille' }).count(), { timeout: 15_000 })
        .toBe(2);
      expect(await a.locator('[data-testid="remote-caret"]', { hasText: 'Camille' }).count()).toBe(0);
      await again.close();
      await editorA.click();
      await selectEnd(a, 'méthode');
      await a.locator('[data-testid="toolbar-bold"]').click();
      await b.locator('[data-testid="editor"] strong', { hasText: 'méthode' }).waitFor({ timeout: 15_000 });
      await expect.poll(() => a.locator('[data-testid="toolbar-bold"]').getAttribute('aria-pressed')).toBe('true');
      // Ctrl+Z takes the bold back, the toolbar's redo puts it again; Ctrl+Alt+2 makes the line a heading.
      await a.keyboard.press('Control+z');
      await b.locator('[data-testid="editor"] strong', { hasText: 'méthode' }).waitFor({ state: 'detached', timeout: 15_000 });
      await a.locator('[data-testid="toolbar-redo"]').click();
      await b.locator('[data-testid="editor"] strong', { hasText: 'méthode' }).waitFor({ timeout: 15_000 });
      await a.keyboard.press('Control+Alt+2');
      // Camille's caret (a widget with her name as text) may stand inside the heading, between "Notre " and
      // "méthode", wherever her selection's head is after the redo: the heading's text is matched around it.
      await b
        .locator('[data-testid="editor"] h2')
        .filter({ hasText: 'Notre' })
        .filter({ hasText: 'méthode' })
        .waitFor({ timeout: 15_000 });
      // Ctrl+K opens the link field for the selection.
      await a.keyboard.press('Control+k');
      await a.locator('[data-testid="toolbar-link-href"]').fill('collectifs.coop/methode');
      await a.locator('[data-testid="toolbar-link-apply"]').click();
      await b.locator('[data-testid="editor"] a[href="https://collectifs.coop/methode"]').waitFor({ timeout: 15_000 });
      await screenshot(a, 'editor-toolbar');
      await screenshot(b, 'editor-remote-selection');
    });
  }, 120_000);
  it('keeps an offline edit through a closed tab (asked first) and hands it over on the next visit', async () => {
    await step('offline-tab', async () => {
      const { response } = await dealAndResponse();
      await openAt(a, `/reponses/${response}`);
      await openAt(b, `/reponses/${response}`);
      for (const page of [a, b]) {
        await page.locator('[data-testid="section-item"]').nth(1).click();
        await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
      }
      await thomas.context.setOffline(true);
      await b.locator('[data-testid="connection-status"][data-state="offline"]').waitFor({ timeout: 10_000 });
      const marker = `Écrit hors ligne, onglet fermé ${Date.now()}.`;
      await b.locator('[data-testid="editor"] .ProseMirror').click();
      await caretToEnd(b);
      await b.keyboard.press('Enter');
      await b.keyboard.insertText(marker);
      // The edit is in this browser's store (IndexedDB) before the tab closes.
      await expect
        .poll(
          () =>
            b.evaluate(async (text) => {
              const decoder = new TextDecoder();
              for (const { name } of await indexedDB.databases()) {
                if (!name?.startsWith('collectifs-offline:')) continue;
                const db = await new Promise<IDBDatabase>((resolve, reject) => {
                  const request = indexedDB.open(name);
                  request.onsuccess = () => resolve(request.result);
                  request.onerror = () => reject(request.error);
                });
                const values = await new Promise<unknown[]>((resolve) => {
                  const request = db.transaction('updates').objectStore('updates').getAll();
                  request.onsuccess = () => resolve(request.result);
                  request.onerror = () => resolve([]);
                });
                db.close();
                if (values.some((value) => value instanceof Uint8Array && decoder.decode(value).includes(text))) return true;
              }
              return false;
            }, marker),
          { timeout: 15_000 },
        )
        .toBe(true);
      // Closing the tab with an edit the server has not acknowledged asks first.
      const asked = new Promise<string>((resolve) =>
        b.once('dialog', (dialog) => {
          resolve(dialog.type());
          void dialog.accept();
        }),
      );
      const closed = new Promise((resolve) => b.once('close', resolve));
      await b.close({ runBeforeUnload: true });
      expect(await asked).toBe('beforeunload');
      await closed;

      await thomas.context.setOffline(false);
      b = await thomas.context.newPage();
      pageErrors(b);
      await openAt(b, `/reponses/${response}`);
      await b.locator('[data-testid="section-item"]').nth(1).click();
      await b.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
      await b.locator('[data-testid="editor"]', { hasText: marker }).waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="editor"]', { hasText: marker }).waitFor({ timeout: 15_000 });
      await screenshot(a, 'editor-offline-edit-arrived');
    });
  }, 120_000);
  it('records an opportunity (deadlines in order, by their field), seen live by others, then followed by a collective', async () => {
    await step('opportunity', async () => {
      await openAt(b, '/opportunites');
      await screenshot(b, 'opportunities');
      await openAt(a, '/opportunites/nouvelle');
      const create = form(a, 'create-opportunity-form');
      // The bringer's picker names Camille once: as its default choice « Moi », not again among the members.
      const bringers = create.locator('[name="broughtById"] option');
      await expect.poll(() => bringers.count(), { timeout: 15_000 }).toBeGreaterThan(2);
      const labels = await bringers.allTextContents();
      expect(labels.filter((label) => label.includes('Camille Martin'))).toEqual(['Moi (Camille Martin)']);
      expect(labels.filter((label) => label.startsWith('Moi'))).toHaveLength(1);
      const title = `Refonte du site de la Maison des associations ${Date.now()}`;
      await fill(create, {
        title,
        buyer: 'Ville de Villeurbanne',
        kind: 'PUBLIC_TENDER',
        submissionDeadline: '2027-03-01T12:00',
        questionsDeadline: '2027-03-15T12:00',
      });
      await submit(a, 'create-opportunity-form');
      expect(await fieldError(create, 'questionsDeadline')).not.toBe('');
      await screenshot(a, 'opportunity-create-error');
      await fill(create, { questionsDeadline: '2027-02-15T12:00' });
      await submit(a, 'create-opportunity-form');
      await a.locator('main h1', { hasText: title }).waitFor({ timeout: 15_000 });
      await screenshot(a, 'opportunity-page');
      await b.locator('[data-testid="opportunity-list"]', { hasText: title }).waitFor({ timeout: 15_000 });

      await a.locator('[data-testid="follow-opportunity"]').click();
      const follow = form(a, 'create-deal-form');
      const collective = follow.locator('[name="collectiveId"] option').nth(1);
      if ((await follow.locator('[name="collectiveId"]').count()) > 0)
        await fill(follow, { collectiveId: (await collective.getAttribute('value')) ?? '' });
      await fill(follow, { title: `Réponse commune — ${title}`, groupForm: 'NONE' });
      await submit(a, 'create-deal-form');
      // The new deal's page opens.
      await a.locator('[data-testid="deal-status"]').waitFor({ timeout: 15_000 });
      expect(await a.locator('main h1').textContent()).toContain('Réponse commune');
      await screenshot(a, 'deal-created');
      await openAt(b, '/fil');
      await screenshot(b, 'feed');
    });
  }, 120_000);
  it('draws the response’s buttons like the rest of the app: exports, « Rouvrir » and the other status actions, versions', async () => {
    await step('button-styles', async () => {
      const { response } = await dealAndResponse();
      await openAt(a, `/reponses/${response}`);
      // The first demo section is done: its one status action is « Rouvrir ».
      await a.locator('[data-testid="section-item"]').first().click();
      const reopen = a.locator('[data-testid="section-status-action"]', { hasText: 'Rouvrir' });
      await reopen.waitFor({ timeout: 15_000 });
      const look = (locator: ReturnType<Page['locator']>) =>
        locator.evaluate((element) => {
          const style = getComputedStyle(element);
          return {
            border: style.borderTopColor,
            radius: style.borderTopLeftRadius,
            background: style.backgroundColor,
            cursor: style.cursor,
          };
        });
      // A plain button of the app's own (a Disclosure) is the reference.
      const reference = await look(a.locator('[data-testid="rename-response"]'));
      expect(reference.cursor).toBe('pointer');
      for (const button of [
        a.locator('[data-testid="export-docx"]'),
        a.locator('[data-testid="export-markdown"]'),
        reopen,
        a.locator('[data-testid="versions"] button[type="submit"]'),
      ]) {
        const seen = await look(button);
        expect({ ...seen, cursor: seen.cursor === 'not-allowed' ? 'pointer' : seen.cursor }).toEqual(reference);
      }
      await screenshot(a, 'tender-response-buttons');
    });
  }, 120_000);

  it('marks in the deal’s checklist a section restricted to the lead, as the editor’s list does; a partner does not see it', async () => {
    await step('checklist-restricted', async () => {
      // From the response (an earlier test of the file adds a deal without one).
      const { response } = await dealAndResponse();
      const data = await graphqlRequest(
        app.url,
        `query ($id: ID!) { node(id: $id) { ... on TenderResponse {
          deal { id partners { id member { id email } } }
          sections { id title status restricted } } } }`,
        { id: response },
        camille.token,
      );
      const deal: string = data.node.deal.id;
      const lead = data.node.deal.partners.find((p: { member: { email: string } | null }) => p.member?.email === CAMILLE);
      const section = data.node.sections.find(
        (s: { status: string; restricted: boolean }) => s.status === 'DRAFT' && !s.restricted,
      );
      expect(lead && section, JSON.stringify(data)).toBeTruthy();
      const restrict = async (restricted: boolean) => {
        const input = restricted
          ? { sectionId: section.id, restricted, ownerPartnerId: lead.id, assigneeId: lead.member.id, reviewerId: null }
          : { sectionId: section.id, restricted };
        const answer = await graphqlRequest(
          app.url,
          `mutation ($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }`,
          { input },
          camille.token,
        );
        expect(answer.updateTenderSection.__typename, JSON.stringify(answer)).toBe('MutationUpdateTenderSectionSuccess');
      };
      await openAt(a, `/affaires/${deal}`);
      const row = a.locator('tbody th[scope="row"]', { hasText: section.title });
      await row.waitFor({ timeout: 15_000 });
      expect(await row.locator('[data-testid="checklist-restricted"]').count()).toBe(0);
      await restrict(true);
      try {
        // The lead's page (Camille) marks it; the partner's (Thomas) does not list it.
        await openAt(a, `/affaires/${deal}`);
        await row.locator('[data-testid="checklist-restricted"]', { hasText: 'réservée' }).waitFor({ timeout: 15_000 });
        await openAt(b, `/affaires/${deal}`);
        await b.locator('tbody th[scope="row"]').first().waitFor({ timeout: 15_000 });
        expect(await b.locator('tbody th[scope="row"]', { hasText: section.title }).count()).toBe(0);
        await screenshot(a, 'deal-checklist-restricted');
      } finally {
        await restrict(false);
      }
    });
  }, 120_000);
});
