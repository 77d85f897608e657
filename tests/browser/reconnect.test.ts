import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  browserAppForFile,
  CAMILLE,
  caretToEnd,
  chromiumAvailable,
  EDITOR,
  graphqlRequest,
  pageErrors,
  type SignedIn,
  screenshot,
  selectEnd,
  signedInContext,
  THOMAS,
} from '../support/browser.js';
import { CollabClient } from '../support/collab.js';
import { TcpProxy } from '../support/proxy.js';

// Issue 10 items 9 and 10, in Chromium behind a TCP proxy that can hold the WebSocket or cut the network:
// no gap between a page's query and its subscription, and every live screen (dashboard, feed, collective
// activity, editor) recovering by itself from a cut, without reload.

/**
 * The cuts, in milliseconds (`RECONNECT_CUTS_MS`, comma-separated; 10 s and 60 s by default, as the issue
 * asks). Bounded settings: the only deliberate waits of the file are these cut lengths.
 */
const CUTS_MS = (process.env.RECONNECT_CUTS_MS ?? '10000,60000')
  .split(',')
  .map((value) => Number(value.trim()))
  .filter((value) => Number.isFinite(value) && value >= 0);
/** The longest a page may take to notice a restored network: the client's backoff cap (10 s) with jitter, and slack. */
const RECOVERY_MS = 45_000;

const app = browserAppForFile();
let proxy: TcpProxy;
let thomas: SignedIn;
let camilleToken: string;
let target: { responseId: string; sectionId: string; otherSectionId: string };

beforeAll(async () => {
  if (!chromiumAvailable) return;
  proxy = await TcpProxy.start(app.url);
  // Thomas's pages go through the proxy; Camille acts on the server directly (she is not cut off).
  thomas = await signedInContext(app, THOMAS, { baseURL: proxy.url });
  const camille = await signedInContext(app, CAMILLE);
  camilleToken = camille.token;
  await camille.context.close();
  const data = await graphqlRequest(
    app.url,
    `{ tenderResponses(first: 10) { edges { node { id sections { id kind status } } } } }`,
    {},
    camilleToken,
  );
  for (const { node } of data.tenderResponses.edges) {
    const section = node.sections.find((s: Json) => s.kind === 'TECHNICAL_PROPOSAL' && s.status === 'DRAFT');
    const other = node.sections.find((s: Json) => s !== section && s.status !== 'DONE');
    if (section && other) target = { responseId: node.id, sectionId: section.id, otherSectionId: other.id };
  }
  if (!target) throw new Error(`No draft section in ${JSON.stringify(data)}`);
}, 240_000);
afterAll(async () => {
  await thomas?.context.close();
  await proxy?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read by the assertions.
type Json = any;

async function api(query: string, variables: Json = {}): Promise<Json> {
  const data = await graphqlRequest(app.url, query, variables, camilleToken);
  const outcome = Object.values(data)[0] as Json;
  if (outcome?.__typename && !/Success$/.test(outcome.__typename)) throw new Error(JSON.stringify(outcome));
  return outcome;
}

const sectionTitles = (page: Page) => page.locator('[data-testid="section-item"]').allTextContents();
const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1] ?? '';

/**
 * The section pushes (`pushSectionUpdate` over the socket) the page has sent and not yet had an answer to, by
 * graphql-ws operation ID, read from the page's WebSocket frames. Call before the page opens its socket.
 */
function unansweredPushes(page: Page): Set<string> {
  const pending = new Set<string>();
  page.on('websocket', (socket) => {
    socket.on('framesent', ({ payload }) => {
      const message = JSON.parse(String(payload)) as Json;
      if (message.type === 'subscribe' && /pushSectionUpdate/.test(message.payload?.query ?? '')) pending.add(message.id);
    });
    socket.on('framereceived', ({ payload }) => {
      const message = JSON.parse(String(payload)) as Json;
      if (['next', 'error', 'complete'].includes(message.type)) pending.delete(message.id);
    });
  });
  return pending;
}

/** Runs a step; on failure, screenshots the pages and adds what they logged. */
async function step(name: string, pages: Page[], run: () => Promise<void>): Promise<void> {
  const errors = pages.map((page) => pageErrors(page));
  try {
    await run();
  } catch (error) {
    await Promise.all(pages.map((page, i) => screenshot(page, `${name}-${i + 1}-failure`).catch(() => {})));
    throw new Error(`${String(error)}\nPage errors: ${errors.flat().join('\n')}\nServer: ${app.server.output().slice(-4000)}`);
  }
}

describe.skipIf(!chromiumAvailable)('query to subscription', () => {
  it('shows a change made after the page rendered but before its socket connected', async () => {
    const page = await thomas.context.newPage();
    const hold = proxy.holdWebSockets();
    try {
      await step('gap', [page], async () => {
        await page.goto(`/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(target.sectionId)}`);
        await page.locator('[data-testid="section-item"]').first().waitFor({ timeout: 20_000 });
        // The page has rendered from its query; its socket waits at the proxy.
        await hold.held;
        const title = `Moyens humains ${Date.now()}`;
        await api(
          `mutation ($input: UpdateTenderSectionInput!) { updateTenderSection(input: $input) { __typename ... on Error { message } } }`,
          { input: { sectionId: target.otherSectionId, title } },
        );
        expect((await sectionTitles(page)).join(' ')).not.toContain(title);
        hold.release();
        // The subscription resumes after the position the page's query reflected: the change is replayed.
        await expect.poll(async () => (await sectionTitles(page)).join(' '), { timeout: 20_000 }).toContain(title);
      });
    } finally {
      hold.release();
      await page.close();
    }
  }, 90_000);
});

describe.skipIf(!chromiumAvailable)('edits the server refuses', () => {
  it('marks text typed offline as not saved when the section was marked done meanwhile, keeps it, asks before closing, and stores it once reopened', async () => {
    const page = await thomas.context.newPage();
    const stamp = Date.now();
    const camilleId = (await graphqlRequest(app.url, '{ viewer { id } }', {}, camilleToken)).viewer.id;
    const added = await api(
      `mutation ($input: AddTenderSectionInput!) { addTenderSection(input: $input) {
        __typename ... on MutationAddTenderSectionSuccess { data { id } } ... on Error { message } } }`,
      { input: { responseId: target.responseId, kind: 'FREE', title: `Note de synthèse ${stamp}`, reviewerId: camilleId } },
    );
    const sectionId: string = added.data.id;
    const setStatus = (status: string) =>
      api(
        `mutation ($input: ChangeTenderSectionStatusInput!) { changeTenderSectionStatus(input: $input) {
          __typename ... on Error { message } } }`,
        { input: { sectionId, status } },
      );
    await setStatus('DRAFT');
    const stored = async () =>
      (
        await graphqlRequest(
          app.url,
          'query ($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }',
          { id: sectionId },
          camilleToken,
        )
      ).node.content.markdown as string;
    const saved = `Texte enregistré ${stamp}.`;
    const refused = `Texte refusé ${stamp}`;
    try {
      await step('unsaved', [page], async () => {
        const pushes = unansweredPushes(page);
        await page.goto(`/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(sectionId)}`);
        await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
        await page.locator(EDITOR).click();
        await page.keyboard.type(saved.slice(0, -1), { delay: 10 });
        await expect.poll(stored, { timeout: 20_000 }).toContain(saved.slice(0, -1));
        await expect.poll(() => pushes.size, { timeout: 20_000 }).toBe(0);
        // The last character's push reaches the server, which stores it, but the cut comes before the page hears
        // the answer: the socket sends that push again once reconnected, into a section marked done meanwhile.
        // Its text is saved all the same and must not be marked (the fresh-clone run failed once on this race).
        proxy.holdReplies();
        await page.keyboard.type(saved.slice(-1));
        await expect.poll(stored, { timeout: 20_000 }).toContain(saved);
        expect(pushes.size).toBe(1);

        // Cut off, Thomas goes on writing; meanwhile Camille, the reviewer, marks the section done.
        proxy.cut();
        await page.locator('[data-testid="connection-status"][data-state="reconnecting"]').waitFor({ timeout: 20_000 });
        await page.keyboard.press('End');
        await page.keyboard.type(` ${refused}`, { delay: 10 });
        await setStatus('REVIEW');
        await setStatus('DONE');
        proxy.restore();

        // Back online, the server refuses his push: the page says so, and his text stays, marked as not saved.
        const notice = page.locator('[data-testid="unsaved-notice"]');
        await notice.waitFor({ timeout: RECOVERY_MS });
        expect(await notice.textContent()).toContain('La section est terminée');
        await expect
          .poll(() => page.locator('[data-testid="unsaved-edit"]').allTextContents(), { timeout: 10_000 })
          .toEqual([` ${refused}`]);
        expect(await page.locator(EDITOR).textContent()).toContain(`${saved} ${refused}`);
        expect(await page.locator('[data-testid="editor"]').getAttribute('data-unsaved')).toBe('true');
        expect(await stored()).not.toContain(refused);
        await screenshot(page, 'editor-unsaved-refused');

        // Closing the tab asks first.
        const asked = new Promise<string>((resolve) =>
          page.once('dialog', (dialog) => {
            resolve(dialog.type());
            void dialog.dismiss();
          }),
        );
        await page.close({ runBeforeUnload: true });
        expect(await asked).toBe('beforeunload');
        expect(page.isClosed()).toBe(false);

        // Reopened by Camille, the section is editable again: sending again stores the text and the mark goes.
        await setStatus('DRAFT');
        const retry = page.getByRole('button', { name: 'Réessayer l’envoi' });
        await retry.waitFor({ timeout: 20_000 });
        await retry.click();
        await expect.poll(stored, { timeout: 20_000 }).toContain(refused);
        await notice.waitFor({ state: 'detached', timeout: 20_000 });
        expect(await page.locator('[data-testid="unsaved-edit"]').count()).toBe(0);
      });
    } finally {
      proxy.restore();
      if (!page.isClosed()) await page.close();
    }
  }, 120_000);
});

describe.skipIf(!chromiumAvailable)('refused edits with no text to highlight', () => {
  it('lists a refused deletion and formatting change in the notice, and discards them on request back to the stored text', async () => {
    const page = await thomas.context.newPage();
    const stamp = Date.now();
    const camilleId = (await graphqlRequest(app.url, '{ viewer { id } }', {}, camilleToken)).viewer.id;
    const added = await api(
      `mutation ($input: AddTenderSectionInput!) { addTenderSection(input: $input) {
        __typename ... on MutationAddTenderSectionSuccess { data { id } } ... on Error { message } } }`,
      { input: { responseId: target.responseId, kind: 'FREE', title: `Annexe ${stamp}`, reviewerId: camilleId } },
    );
    const sectionId: string = added.data.id;
    const setStatus = (status: string) =>
      api(
        `mutation ($input: ChangeTenderSectionStatusInput!) { changeTenderSectionStatus(input: $input) {
          __typename ... on Error { message } } }`,
        { input: { sectionId, status } },
      );
    await setStatus('DRAFT');
    const stored = async () =>
      (
        await graphqlRequest(
          app.url,
          'query ($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }',
          { id: sectionId },
          camilleToken,
        )
      ).node.content.markdown as string;
    const text = `Premier point ${stamp}, second point`;
    try {
      await step('refused-deletion', [page], async () => {
        const pushes = unansweredPushes(page);
        await page.goto(`/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(sectionId)}`);
        await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
        await page.locator(EDITOR).click();
        await page.keyboard.type(text, { delay: 10 });
        await expect.poll(stored, { timeout: 20_000 }).toContain(text);
        await expect.poll(() => pushes.size, { timeout: 20_000 }).toBe(0);

        // Cut off, Thomas types nothing: he bolds « point » and deletes a character, while Camille marks the
        // section done.
        proxy.cut();
        await page.locator('[data-testid="connection-status"][data-state="reconnecting"]').waitFor({ timeout: 20_000 });
        await selectEnd(page, 'point');
        await page.keyboard.press('Control+b');
        await expect.poll(() => page.locator(`${EDITOR} strong`).count(), { timeout: 10_000 }).toBe(1);
        await caretToEnd(page);
        await page.keyboard.press('Backspace');
        expect(await page.locator(EDITOR).textContent()).toContain('second poin');
        await setStatus('REVIEW');
        await setStatus('DONE');
        proxy.restore();

        // Refused, with nothing typed to highlight: the notice lists what is not saved.
        const notice = page.locator('[data-testid="unsaved-notice"]');
        await notice.waitFor({ timeout: RECOVERY_MS });
        const kinds = page.locator('[data-testid="unsaved-list"] li');
        await expect
          .poll(() => kinds.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind'))), { timeout: 10_000 })
          .toEqual(['deletions', 'formatting']);
        expect(await page.locator('[data-testid="unsaved-edit"]').count()).toBe(0);
        expect(await stored()).toContain(text);
        await screenshot(page, 'editor-unsaved-deletion-listed');

        // Discarded after asking: the editor shows the stored text again, and the notice goes.
        await page.locator('[data-testid="discard-unsaved"]').click();
        await page.locator('[data-testid="confirm-dialog"] [data-testid="confirm-yes"]').click();
        await notice.waitFor({ state: 'detached', timeout: 20_000 });
        await page.locator('[data-testid="unsaved-discarded"]').waitFor({ timeout: 10_000 });
        await page.locator(EDITOR, { hasText: text }).waitFor({ timeout: 20_000 });
        expect(await page.locator(`${EDITOR} strong`).count()).toBe(0);
        await screenshot(page, 'editor-unsaved-discarded');
      });
    } finally {
      proxy.restore();
      if (!page.isClosed()) await page.close();
    }
  }, 120_000);
});

describe.skipIf(!chromiumAvailable)('network cuts', () => {
  let commons: { id: string; slug: string };

  beforeAll(async () => {
    const created = await api(
      `mutation ($input: CreateCollectiveInput!) { createCollective(input: $input) {
        __typename ... on MutationCreateCollectiveSuccess { data { id slug } } ... on Error { message } } }`,
      { input: { name: `Atelier coupures ${Date.now()}`, kind: 'COMMONS', purpose: 'Se retrouver après chaque coupure.' } },
    );
    commons = created.data;
  });

  for (const cutMs of CUTS_MS) {
    it(
      `recovers every live screen from a ${cutMs / 1000} s cut, without reload`,
      async () => {
        const context = thomas.context;
        const pages = await Promise.all([1, 2, 3, 4].map(() => context.newPage()));
        const [dashboard, feed, activity, editor] = pages as [Page, Page, Page, Page];
        const camille = new CollabClient(app.url, camilleToken, rawId(target.sectionId));
        try {
          await step(`cut-${cutMs}`, pages, async () => {
            await dashboard.goto('/tableau-de-bord');
            await feed.goto('/fil');
            await activity.goto(`/collectifs/${commons.slug}`);
            await editor.goto(
              `/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(target.sectionId)}`,
            );
            const count = dashboard.locator('[data-testid="dashboard-collectives-count"]');
            await count.waitFor({ timeout: 20_000 });
            await feed.locator('[data-testid="my-feed"]').waitFor({ timeout: 20_000 });
            await activity.locator('[data-testid="collective-activity"]').waitFor({ timeout: 20_000 });
            await editor.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
            for (const page of pages) {
              await page
                .locator('[data-testid="live-status"][data-state="connected"]')
                .waitFor({ state: 'attached', timeout: 20_000 });
              await page.evaluate(() => {
                (window as unknown as { notReloaded: boolean }).notReloaded = true;
              });
            }
            const before = {
              collectives: Number(await count.textContent()),
              invitations: await feed.locator('[data-event-type="membership.invited"]').count(),
              updates: await activity.locator('[data-event-type="collective.updated"]').count(),
            };
            await camille.connect();

            proxy.cut();
            // Every live screen says it is reconnecting.
            for (const page of pages)
              await page.locator('[data-testid="live-status"][data-state="reconnecting"]').waitFor({ timeout: 20_000 });
            await editor.locator('[data-testid="connection-status"][data-state="reconnecting"]').waitFor({ timeout: 20_000 });

            // Meanwhile: Camille proposes a collective, invites Thomas, changes the open collective and writes;
            // Thomas writes in his editor.
            const stamp = `${cutMs}-${Date.now()}`;
            const created = await api(
              `mutation ($input: CreateCollectiveInput!) { createCollective(input: $input) {
              __typename ... on MutationCreateCollectiveSuccess { data { id } } ... on Error { message } } }`,
              { input: { name: `Pendant la coupure ${stamp}`, kind: 'COMMONS', purpose: 'Créé pendant la coupure réseau.' } },
            );
            const thomasId = (await graphqlRequest(app.url, '{ viewer { id } }', {}, thomas.token)).viewer.id;
            await api(
              `mutation ($c: ID!, $m: ID!) { inviteMember(input: { collectiveId: $c, memberId: $m }) { __typename ... on Error { message } } }`,
              { c: created.data.id, m: thomasId },
            );
            await api(
              `mutation ($input: UpdateCollectiveInput!) { updateCollective(input: $input) { __typename ... on Error { message } } }`,
              { input: { id: commons.id, purpose: `Changé pendant la coupure ${stamp}.` } },
            );
            const fromCamille = `Camille pendant la coupure ${stamp}`;
            await camilleWrites(camille, fromCamille);
            const fromThomas = `Thomas hors ligne ${stamp}`;
            await editor.locator(EDITOR).click();
            await caretToEnd(editor);
            await editor.keyboard.press('Enter');
            await editor.keyboard.type(fromThomas, { delay: 10 });

            // The deliberate part: the network stays cut for the cut's length.
            await new Promise((resolve) => setTimeout(resolve, cutMs));
            expect(proxy.isCut).toBe(true);
            proxy.restore();

            // Each screen reconnects by itself, resumes from its position and shows what happened meanwhile.
            for (const page of pages)
              await page
                .locator('[data-testid="live-status"][data-state="connected"]')
                .waitFor({ state: 'attached', timeout: RECOVERY_MS });
            await expect.poll(async () => Number(await count.textContent()), { timeout: 20_000 }).toBe(before.collectives + 1);
            await expect
              .poll(() => feed.locator('[data-event-type="membership.invited"]').count(), { timeout: 20_000 })
              .toBe(before.invitations + 1);
            await expect
              .poll(() => activity.locator('[data-event-type="collective.updated"]').count(), { timeout: 20_000 })
              .toBe(before.updates + 1);
            await editor.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
            await expect.poll(() => editor.locator(EDITOR).textContent(), { timeout: 20_000 }).toContain(fromCamille);
            // What Thomas typed during the cut reached the server (its co-author's copy is the collab path's concern).
            const stored = async () =>
              (
                await graphqlRequest(
                  app.url,
                  'query ($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }',
                  { id: target.sectionId },
                  camilleToken,
                )
              ).node.content.markdown as string;
            await expect.poll(stored, { timeout: 20_000 }).toContain(fromThomas);
            for (const page of pages)
              expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
          });
        } finally {
          await camille.abandon();
          await Promise.all(pages.map((page) => page.close()));
        }
      },
      CUTS_MS.reduce((a, b) => Math.max(a, b), 0) + 180_000,
    );
  }
});

/** Camille (a headless editor on the server directly) adds a paragraph and waits for its acknowledgement. */
async function camilleWrites(camille: CollabClient, text: string): Promise<void> {
  camille.doc.transact(() => {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(text)]);
    camille.body.push([paragraph]);
  });
  await camille.settled();
}
