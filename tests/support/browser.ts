import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Json } from './json.js';
import { type ServerProcess, startServerProcess } from './processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
/** Debian's Chromium, driven by playwright-core; the browser tests skip (and say so) without it. */
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable) console.warn(`Browser tests skipped: ${CHROMIUM} is absent (apt-get install chromium).`);

export const DEMO_PASSWORD = 'collectifs-demo';
export const CAMILLE = 'camille.martin@collectifs.coop';
/** A partner of the `ao-metropole-contenus` deal: a second person in its tender response. */
export const THOMAS = 'thomas.girard@collectifs.coop';
export const TOKEN_KEY = 'collectifs.token';

const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds the web app unless `client/dist` is newer than its sources (one build at a time across workers). */
export function ensureClientBuilt(): void {
  const index = join(ROOT, 'client', 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(join(ROOT, 'client', 'src')),
    newestMtime(join(ROOT, 'client', 'index.html')),
    newestMtime(join(ROOT, 'client', 'vite.config.ts')),
    newestMtime(join(ROOT, 'schema.graphql')),
  );
  const fresh = () => existsSync(index) && statSync(index).mtimeMs >= sources;
  if (fresh()) return;
  const lock = join(tmpdir(), 'collectifs-client-build.lock');
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another worker builds: wait for it, then use its build (or take over a stale lock).
      if (Date.now() - started > 180_000) rmSync(lock, { recursive: true, force: true });
      execFileSync('sleep', ['1']);
      if (fresh()) return;
    }
  }
  try {
    if (!fresh())
      execFileSync('pnpm', ['--filter', '@collectifs/client', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: 180_000 });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface BrowserApp {
  url: string;
  server: ServerProcess;
  browser: Browser;
  close(): Promise<void>;
}

/** The real server on a fresh seeded database (in a temporary folder) and a headless Chromium; `env` adds settings. */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  ensureClientBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'collectifs-browser-'));
  // Always the embedded database, seeded afresh: never the shared PostgreSQL of `pnpm test:postgres`.
  const server = await startServerProcess({
    DATA_DIR: dataDir,
    SEED: 'true',
    HOST: '127.0.0.1',
    DATABASE_URL: '',
    REDIS_URL: '',
    ...env,
  });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: server.url,
    server,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The calling file's app (`startBrowserApp(env)`): started before its tests when Chromium is there, closed after
 * them. Its members read the running app, so they are read inside tests and hooks only.
 */
export function browserAppForFile(env: Record<string, string> = {}): BrowserApp {
  let current: BrowserApp | undefined;
  beforeAll(async () => {
    if (chromiumAvailable) current = await startBrowserApp(env);
  }, 240_000);
  afterAll(async () => {
    await current?.close();
  });
  const running = (): BrowserApp => {
    if (!current) throw new Error('The browser app is not running (Chromium absent, or read outside a test).');
    return current;
  };
  return {
    get url() {
      return running().url;
    },
    get server() {
      return running().server;
    },
    get browser() {
      return running().browser;
    },
    close: () => running().close(),
  };
}

/** One GraphQL request over HTTP, as the app makes it. */
export async function graphqlRequest(url: string, query: string, variables: Json = {}, token?: string): Promise<Json> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Json;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Signs a demo member in through the API and returns the session token. */
export async function tokenFor(url: string, email: string): Promise<string> {
  const data = await graphqlRequest(
    url,
    `mutation ($input: SignInInput!) { signIn(input: $input) {
      __typename ... on MutationSignInSuccess { data { token } } ... on Error { message } } }`,
    { input: { email, password: DEMO_PASSWORD } },
  );
  const token = data.signIn?.data?.token;
  if (!token) throw new Error(`Sign-in of ${email} failed: ${JSON.stringify(data)}`);
  return token as string;
}

export interface SignedIn {
  context: BrowserContext;
  token: string;
}

/** A browser context already signed in (the token in localStorage, as the app keeps it). */
export async function signedInContext(app: BrowserApp, email: string, options: { baseURL?: string } = {}): Promise<SignedIn> {
  const token = await tokenFor(app.url, email);
  const context = await app.browser.newContext({
    // Another base URL (a TCP proxy in front of the server) for the pages; the API is still asked directly.
    baseURL: options.baseURL ?? app.url,
    locale: 'fr-FR',
    viewport: { width: 1280, height: 900 },
  });
  await context.addInitScript(
    ([key, value]) => {
      if (!window.localStorage.getItem(key as string)) window.localStorage.setItem(key as string, value as string);
    },
    [TOKEN_KEY, token],
  );
  return { context, token };
}

/** Writes `test-results/screenshots/<name>.png` (git-ignored) so the screens can be looked at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** What the pages watched by `pageErrors` logged, each page's list (the file's: vitest isolates each test file). */
const watched: string[][] = [];

/** Collects what a page logs as errors, for failure messages. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  watched.push(errors);
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    // A failed load ("Failed to load resource: … 404") names no address in its text: its location has it.
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url || 'page'})`);
  });
  return errors;
}

/** Signs each of `emails` in, in a context of their own, and opens a page for each, its errors collected. */
export async function signedInPages<const Emails extends readonly string[]>(
  app: BrowserApp,
  emails: Emails,
): Promise<{ people: { [K in keyof Emails]: SignedIn }; pages: { [K in keyof Emails]: Page } }> {
  const people: SignedIn[] = [];
  for (const email of emails) people.push(await signedInContext(app, email));
  const pages: Page[] = [];
  for (const person of people) {
    const page = await person.context.newPage();
    pageErrors(page);
    pages.push(page);
  }
  return { people, pages } as { people: { [K in keyof Emails]: SignedIn }; pages: { [K in keyof Emails]: Page } };
}

/**
 * Runs a step of a scenario on the pages `screens` names (read when the step ends: a step may open new ones), each
 * under the name its screenshots take. On failure, screenshots every page (`<step>-<name>-failure.png`) and throws
 * the error with what the file's pages logged (see `pageErrors`) and the end of the server's output; with
 * `screenshots`, a step that passes is screenshotted too (`<step>-<name>.png`).
 */
export async function runStep(
  app: BrowserApp,
  screens: () => Record<string, Page>,
  step: string,
  run: () => Promise<void>,
  options: { screenshots?: boolean } = {},
): Promise<void> {
  try {
    await run();
    if (options.screenshots) for (const [name, page] of Object.entries(screens())) await screenshot(page, `${step}-${name}`);
  } catch (error) {
    for (const [name, page] of Object.entries(screens())) await screenshot(page, `${step}-${name}-failure`).catch(() => {});
    const errors = watched.flat();
    const { exitCode, signalCode } = app.server.process;
    throw new Error(
      `${String(error)}\nPage errors: ${errors.join('\n')}\nServer (exit ${exitCode} ${signalCode}): ${app.server.output().slice(-3000)}`,
    );
  }
}

/** Goes to `path` and resolves once the page shows its title (its first `main h1`). */
export async function openAt(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.locator('main h1').first().waitFor({ timeout: 20_000 });
}

/** A section's live editor: the element of its ProseMirror view (Tiptap keeps its editor on it). */
export const EDITOR = '[data-testid="editor"] .ProseMirror';

/**
 * The seeded joint deal's tender response and its technical proposal, a draft both partners write (global IDs, the
 * section's title), as the holder of `token` sees them.
 */
export async function seededDraftSection(
  app: BrowserApp,
  token: string,
): Promise<{ responseId: string; sectionId: string; title: string }> {
  const data = await graphqlRequest(
    app.url,
    `{ tenderResponses(first: 10) { edges { node { id title sections { id title kind status } } } } }`,
    {},
    token,
  );
  for (const { node } of data.tenderResponses.edges) {
    const section = node.sections.find(
      (s: { kind: string; status: string }) => s.kind === 'TECHNICAL_PROPOSAL' && s.status === 'DRAFT',
    );
    if (section) return { responseId: node.id, sectionId: section.id, title: section.title };
  }
  throw new Error(`No draft technical proposal in ${JSON.stringify(data)}`);
}

/**
 * Camille and Thomas, each signed in in a browser context of their own, each with a page open on the seeded draft
 * section (`seededDraftSection`, as Camille sees it), both editors connected; page errors are recorded.
 */
export async function twoEditorsOnSeededSection(app: BrowserApp): Promise<{
  camille: SignedIn;
  thomas: SignedIn;
  pageA: Page;
  pageB: Page;
  target: { responseId: string; sectionId: string; title: string };
}> {
  const camille = await signedInContext(app, CAMILLE);
  const thomas = await signedInContext(app, THOMAS);
  const target = await seededDraftSection(app, camille.token);
  const pageA = await camille.context.newPage();
  const pageB = await thomas.context.newPage();
  pageErrors(pageA);
  pageErrors(pageB);
  await Promise.all([
    openSection(pageA, target.responseId, target.sectionId),
    openSection(pageB, target.responseId, target.sectionId),
  ]);
  return { camille, thomas, pageA, pageB, target };
}

/** Opens a section of a tender response (global IDs) and resolves once its editor shows itself connected. */
export async function openSection(page: Page, responseId: string, sectionId: string): Promise<void> {
  await page.goto(`/reponses/${encodeURIComponent(responseId)}#section=${encodeURIComponent(sectionId)}`);
  await page.locator(EDITOR).waitFor({ timeout: 20_000 });
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 20_000 });
}

/**
 * Resolves once the page's section editor itself (its state, not the page's DOM selection) has its caret at the
 * end of the text, or `text` selected ending there. The browser moves the caret of a key it handles (Ctrl+End,
 * Shift+arrows) or of a click at once, but ProseMirror reads it only at the next `selectionchange` event, which a
 * busy browser may dispatch after the next key: a key the editor handles itself (Enter, a shortcut) or a toolbar
 * button pressed meanwhile acts where the caret was before. Measured: a click put the caret at the start of a
 * list item, Ctrl+End moved the page's caret, and the Enter that followed still split the list item.
 */
async function editorSelected(page: Page, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    ({ selector, text }) => {
      interface Selection {
        from: number;
        to: number;
        head: number;
        constructor: { atEnd(doc: unknown): { head: number } };
      }
      interface State {
        doc: { textBetween(from: number, to: number): string };
        selection: Selection;
      }
      const state = (document.querySelector(selector) as (Element & { editor?: { state: State } }) | null)?.editor?.state;
      if (!state) return false;
      const { selection } = state;
      return (
        state.doc.textBetween(selection.from, selection.to) === text &&
        selection.to === selection.constructor.atEnd(state.doc).head
      );
    },
    { selector: EDITOR, text },
    { timeout },
  );
}

/**
 * Ctrl+End in the focused section editor, resolved once the editor has its caret at the end (see `editorSelected`).
 * Pressed again (three times at most) when the caret is not there after 5 s: text that arrives after the key (the
 * section's first sync, a co-author's typing) leaves the caret inside, not at the new end, and a `selectionchange`
 * the busy browser never dispatched is dispatched by the next key (2 timeouts in 29 runs under load with one press).
 */
export async function caretToEnd(page: Page): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await page.keyboard.press('Control+End');
    try {
      await editorSelected(page, '', attempt < 3 ? 5_000 : 15_000);
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/**
 * Selects `text`, the end of the focused section editor's text, from the end with Shift+← (one press a UTF-16
 * unit, as ProseMirror counts), resolved once the editor has exactly that selection (see `editorSelected`).
 */
export async function selectEnd(page: Page, text: string): Promise<void> {
  await caretToEnd(page);
  for (let index = 0; index < text.length; index += 1) await page.keyboard.press('Shift+ArrowLeft');
  await editorSelected(page, text);
}
