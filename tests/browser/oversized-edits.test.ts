import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_MESSAGES } from '../../server/src/errors.js';
import {
  browserAppForFile,
  CAMILLE,
  caretToEnd,
  chromiumAvailable,
  EDITOR,
  graphqlRequest,
  runStep,
  type SignedIn,
  signedInPages,
  THOMAS,
} from '../support/browser.js';

// A paste larger than a socket message may be (WS_MAX_PAYLOAD_BYTES; here 256 KiB, the update limit left at its
// 1 MiB default so the message is the tighter bound): the page never sends it (the server would close the socket
// 1009 and graphql-ws would send it again on every reconnect, for ever). It is an edit refused like any other: the
// notice says why in French and offers to discard it, the socket stays up (co-authors' text keeps arriving), and
// once discarded what is typed next is saved. The server logs no error for any of it.
const MAX_MESSAGE_BYTES = 256 * 1024;
// Logged (a server under vitest logs nothing unless told): nothing may be logged as an error.
const app = browserAppForFile({ WS_MAX_PAYLOAD_BYTES: String(MAX_MESSAGE_BYTES), LOG_LEVEL: 'info' });

let people: readonly [SignedIn, SignedIn];
let pages: readonly [Page, Page];
let target: { responseId: string; sectionId: string };
/** The WebSocket messages Thomas's page sent, by size in UTF-8 bytes. */
const sent: number[] = [];

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read by the assertions.
type Json = any;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  ({ people, pages } = await signedInPages(app, [THOMAS, CAMILLE] as const));
  pages[0].on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(Buffer.byteLength(String(payload)))));
  const camilleToken = people[1].token;
  const data = await graphqlRequest(
    app.url,
    `{ tenderResponses(first: 10) { edges { node { id sections { id kind status } } } } }`,
    {},
    camilleToken,
  );
  for (const { node } of data.tenderResponses.edges as Json[]) {
    const section = node.sections.find((s: Json) => s.kind === 'TECHNICAL_PROPOSAL' && s.status === 'DRAFT');
    if (section) target = { responseId: node.id, sectionId: section.id };
  }
  if (!target) throw new Error(`No draft section in ${JSON.stringify(data)}`);
}, 240_000);
afterAll(async () => {
  for (const person of people ?? []) await person.context.close();
});

const stored = async (): Promise<string> =>
  (
    await graphqlRequest(
      app.url,
      'query ($id: ID!) { node(id: $id) { ... on TenderSection { content { markdown } } } }',
      { id: target.sectionId },
      people[1].token,
    )
  ).node.content.markdown;

const connected = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]');

describe.skipIf(!chromiumAvailable)('an edit past the socket’s message limit', () => {
  it('is refused without being sent, with the refused-edits notice, the socket kept up and later edits saved once discarded', async () => {
    const [thomas, camille] = pages;
    const stamp = Date.now().toString(36);
    const screens = () => ({ thomas, camille });
    await runStep(app, screens, 'oversized-paste', async () => {
      const path = `/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(target.sectionId)}`;
      await Promise.all([thomas.goto(path), camille.goto(path)]);
      await Promise.all([connected(thomas).waitFor({ timeout: 30_000 }), connected(camille).waitFor({ timeout: 30_000 })]);
      await thomas.locator(EDITOR).click();
      await caretToEnd(thomas);

      // ~390 000 characters: a push of about as many bytes, over half a megabyte once in base64.
      const big = Array.from({ length: 5_000 }, (_, i) => `B${stamp}-${i} lorem ipsum dolor sit amet consectetur elit`).join(
        '\n',
      );
      await thomas.evaluate((text) => {
        const editor = document.querySelector('[data-testid="editor"] .ProseMirror') as HTMLElement;
        const data = new DataTransfer();
        data.setData('text/plain', text);
        editor.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }, big);

      // Refused here, in French, with the existing notice and its way out; the page stays connected.
      const notice = thomas.locator('[data-testid="unsaved-notice"]');
      await notice.waitFor({ timeout: 30_000 });
      expect(await notice.textContent()).toContain(RULE_MESSAGES.UPDATE_TOO_LARGE);
      expect(await connected(thomas).count()).toBe(1);

      // Co-authors' text still arrives over the same socket.
      await camille.locator(EDITOR).click();
      await caretToEnd(camille);
      await camille.keyboard.type(` Camille ${stamp}`, { delay: 10 });
      await expect.poll(() => stored(), { timeout: 30_000 }).toContain(`Camille ${stamp}`);
      await thomas.locator(EDITOR, { hasText: `Camille ${stamp}` }).waitFor({ timeout: 30_000 });
      expect(await connected(thomas).count()).toBe(1);

      // Discarded: the document starts again from the server's, and what Thomas types next is saved.
      await thomas.locator('[data-testid="discard-unsaved"]').click();
      await thomas.locator('[data-testid="confirm-dialog"] [data-testid="confirm-yes"]').click();
      await notice.waitFor({ state: 'detached', timeout: 30_000 });
      await connected(thomas).waitFor({ timeout: 30_000 });
      await thomas.locator(EDITOR).click();
      await caretToEnd(thomas);
      await thomas.keyboard.type(` Thomas ${stamp}`, { delay: 10 });
      await expect.poll(() => stored(), { timeout: 30_000 }).toContain(`Thomas ${stamp}`);
      expect(await stored()).not.toContain(`B${stamp}-1 `);

      // No message past the limit ever left the page, and the server logged nothing as an error.
      expect(sent.filter((bytes) => bytes > MAX_MESSAGE_BYTES)).toEqual([]);
      const errors = app.server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && (JSON.parse(line) as { level: number }).level >= 50);
      expect(errors).toEqual([]);
    });
  }, 240_000);
});
