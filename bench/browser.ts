// The browser: two Chromium pages in the tender-response editor, one typing at 8 characters per second, the
// other watching its editor; keystroke-to-co-author latency (keydown on one page → the character in the
// other's DOM). Baseline: the same two pages and the same typing on a bare editable block relayed by `ws`.
import { existsSync, rmSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CAMILLE, CHROMIUM, ensureClientBuilt, THOMAS, TOKEN_KEY } from '../tests/support/browser.js';
import type { BenchContext } from './lib/context.js';
import { gql, signIn } from './lib/gql.js';
import { type BenchServer, startServer, startWorker } from './lib/processes.js';
import { ratio, type Summary, summarise } from './lib/stats.js';

const EDITOR = '[data-testid="editor"] .ProseMirror';

export interface BrowserResults {
  skipped?: string;
  charactersPerSecond?: number;
  characters?: number;
  relay?: Summary & { missing: number };
  app?: Summary & { missing: number };
  ratios?: { p50: number | null; p99: number | null };
  /**
   * Where each character's time went in the editor (p50 / p99 over the characters): keydown → its push leaves the
   * typing page's socket (`typist`), → the update reaches the watching page's socket (`server`: relay, server,
   * loopback), → the character is in the watcher's DOM (`watcher`: urql, Yjs, ProseMirror); `ack`: a push's
   * round trip on the typing page.
   */
  segments?: Record<'typist' | 'server' | 'watcher' | 'ack', Summary>;
}

/**
 * Timestamps of the app's socket frames on every page of a context, installed before the app loads: pushes
 * sent (`__pushSent`), their acknowledgements (`__pushAcked`), section updates received (`__syncReceived`).
 */
const SOCKET_PROBE = `(() => {
  window.__pushSent = []; window.__pushAcked = []; window.__syncReceived = [];
  const now = () => performance.timeOrigin + performance.now();
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    if (typeof data === 'string' && data.includes('pushSectionUpdate')) window.__pushSent.push(now());
    return send.call(this, data);
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') return;
        if (event.data.includes('"sectionSync"') && event.data.includes('"UPDATE"')) window.__syncReceived.push(now());
        else if (event.data.includes('MutationPushSectionUpdateSuccess')) window.__pushAcked.push(now());
      });
    }
  };
})()`;

/** The first of `sorted` at or after `at` (or the last at or before it, with `before`); null if none. */
function nearest(sorted: readonly number[], at: number, before = false): number | null {
  if (before) return sorted.findLast((value) => value <= at) ?? null;
  return sorted.find((value) => value >= at) ?? null;
}

async function segmentsOf(typist: Page, watcher: Page): Promise<NonNullable<BrowserResults['segments']>> {
  const keys = await typist.evaluate<number[]>('window.__keys');
  const seen = await watcher.evaluate<number[]>('window.__seen');
  const sent = await typist.evaluate<number[]>('window.__pushSent');
  const acked = await typist.evaluate<number[]>('window.__pushAcked');
  const received = await watcher.evaluate<number[]>('window.__syncReceived');
  const typistMs: number[] = [];
  const serverMs: number[] = [];
  const watcherMs: number[] = [];
  for (let i = 3; i < seen.length; i += 1) {
    const key = keys[i] as number;
    const shown = seen[i] as number;
    const left = nearest(sent, key);
    const arrived = nearest(received, shown, true);
    if (left === null || arrived === null || arrived < left) continue;
    typistMs.push(left - key);
    serverMs.push(arrived - left);
    watcherMs.push(shown - arrived);
  }
  const ackMs = sent.flatMap((at) => {
    const back = nearest(acked, at);
    return back === null ? [] : [back - at];
  });
  return { typist: summarise(typistMs), server: summarise(serverMs), watcher: summarise(watcherMs), ack: summarise(ackMs) };
}

/**
 * Records keydown instants on the typing page and, on the watching page, when each prefix of `typed` shows.
 * Page scripts are strings: tsx's transform would add helpers to functions that the page does not have.
 */
async function instrument(typist: Page, watcher: Page, typed: string): Promise<void> {
  await typist.evaluate(`(() => {
    window.__keys = [];
    window.addEventListener('keydown', () => window.__keys.push(performance.timeOrigin + performance.now()), true);
  })()`);
  await watcher.evaluate(`(() => {
    const typed = ${JSON.stringify(typed)};
    window.__seen = [];
    const root = document.querySelector(${JSON.stringify(EDITOR)});
    new MutationObserver(() => {
      const at = performance.timeOrigin + performance.now();
      // The document's text, not the element's: a co-author's caret is drawn inside the text with their name, so
      // the element's textContent splits what was typed wherever the caret sits until their next presence update
      // moves it (that wait, 50–170 ms, was counted as the watcher's until 2026-11-30).
      const text = root.editor ? root.editor.state.doc.textContent : root.textContent || '';
      let k = window.__seen.length;
      while (k < typed.length && text.includes(typed.slice(0, k + 1))) {
        window.__seen.push(at);
        k += 1;
      }
    }).observe(root, { subtree: true, childList: true, characterData: true });
  })()`);
}

async function measure(typist: Page, watcher: Page, typed: string, delayMs: number): Promise<Summary & { missing: number }> {
  await instrument(typist, watcher, typed);
  await typist.keyboard.type(typed, { delay: delayMs });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const seen = await watcher.evaluate<number>('window.__seen.length');
    if (seen >= typed.length) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const keys = await typist.evaluate<number[]>('window.__keys');
  const seen = await watcher.evaluate<number[]>('window.__seen');
  // The first characters can already be in the text by chance: time only from the third one.
  const latencies = seen.slice(3).map((at, i) => at - (keys[i + 3] as number));
  return { ...summarise(latencies), missing: typed.length - seen.length };
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Both pages are "in front": no timer throttling of the one that does not have focus.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}

export async function runBrowserBench(context: BenchContext): Promise<BrowserResults> {
  if (!existsSync(CHROMIUM)) {
    context.log(`browser: skipped, ${CHROMIUM} is absent`);
    return { skipped: `${CHROMIUM} is absent` };
  }
  const charactersPerSecond = 8;
  const characters = context.smoke ? 12 : 60;
  const typed = `Zq${Array.from({ length: characters - 2 }, (_, i) => 'abcdefghijklmnopqrstuvwxy'[(i * 7) % 25]).join('')}`;
  const delay = 1000 / charactersPerSecond;
  ensureClientBuilt();
  const browser = await launch();
  const relayWorker = await startWorker('bare-ws');
  const dataDir = context.pglite.copy();
  let server: BenchServer | null = null;
  try {
    const { ws } = await relayWorker.call<{ ws: string }>('relay');
    const pageUrl = ws.replace('ws:', 'http:');
    const [a, b] = await Promise.all([browser.newPage(), browser.newPage()]);
    if (!a || !b) throw new Error('No page');
    await Promise.all([a.goto(pageUrl), b.goto(pageUrl)]);
    await Promise.all([
      a.waitForSelector('body[data-connected]', { state: 'attached' }),
      b.waitForSelector('body[data-connected]', { state: 'attached' }),
    ]);
    await a.click(EDITOR);
    context.log('browser: typing on the bare relay');
    const relay = await measure(a, b, typed, delay);

    server = await startServer({ DATA_DIR: dataDir });
    const url = server.url;
    const pages: Page[] = [];
    for (const email of [CAMILLE, THOMAS]) {
      const token = await signIn(url, email);
      const browserContext = await browser.newContext({ baseURL: url, locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
      await browserContext.addInitScript(`window.localStorage.setItem(${JSON.stringify(TOKEN_KEY)}, ${JSON.stringify(token)})`);
      await browserContext.addInitScript(SOCKET_PROBE);
      pages.push(await browserContext.newPage());
    }
    const token = await signIn(url, CAMILLE);
    const data = await gql(
      url,
      '{ tenderResponses(first: 10) { edges { node { id sections { id kind status } } } } }',
      {},
      token,
    );
    let target: { responseId: string; sectionId: string } | null = null;
    for (const { node } of data.tenderResponses.edges) {
      const section = node.sections.find(
        (s: { kind: string; status: string }) => s.kind === 'TECHNICAL_PROPOSAL' && s.status === 'DRAFT',
      );
      if (section) target = { responseId: node.id, sectionId: section.id };
    }
    if (!target) throw new Error('No draft technical proposal in the demo data');
    const address = `/reponses/${encodeURIComponent(target.responseId)}#section=${encodeURIComponent(target.sectionId)}`;
    for (const page of pages) {
      await page.goto(address);
      await page.locator(EDITOR).waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 30_000 });
    }
    const [camille, thomas] = pages as [Page, Page];
    await thomas.locator(EDITOR).click();
    await camille.locator(EDITOR).click();
    await camille.keyboard.press('Control+End');
    await camille.keyboard.press('Enter');
    context.log('browser: typing in the editor');
    const app = await measure(camille, thomas, typed, delay);
    const segments = await segmentsOf(camille, thomas);
    context.log(
      `browser: editor p50 ${app.p50} ms = typist ${segments.typist.p50} + server ${segments.server.p50} + watcher ${segments.watcher.p50} (ack ${segments.ack.p50}); p99 ${app.p99}: ${segments.typist.p99} / ${segments.server.p99} / ${segments.watcher.p99}`,
    );
    return {
      segments,
      charactersPerSecond,
      characters,
      relay,
      app,
      ratios: { p50: ratio(app.p50, relay.p50), p99: ratio(app.p99, relay.p99) },
    };
  } finally {
    await browser.close().catch(() => {});
    await relayWorker.stop();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
