import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  CAMILLE,
  chromiumAvailable,
  DEMO_PASSWORD,
  graphqlRequest,
  pageErrors,
  screenshot,
  signedInContext,
  THOMAS,
  TOKEN_KEY,
} from '../support/browser.js';

const app = browserAppForFile();

/** Runs a scenario; on failure, screenshots the pages and adds what they logged to the error. */
async function scenario(name: string, pages: Page[], run: () => Promise<void>): Promise<void> {
  const errors = pages.map((page) => pageErrors(page));
  try {
    await run();
  } catch (error) {
    await Promise.all(pages.map((page, i) => screenshot(page, `${name}-${i + 1}-failure`).catch(() => {})));
    throw new Error(`${String(error)}\nPage errors: ${errors.flat().join('\n')}`);
  }
}

describe.skipIf(!chromiumAvailable)('the web app in a real browser', () => {
  it('signs in with the demo account, filters the directory by kind and joins a commons collective', async () => {
    const context = await app.browser.newContext({ baseURL: app.url, locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await scenario('directory', [page], async () => {
        await page.goto('/');
        await page.locator('input[name="email"]').fill(CAMILLE);
        await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
        await screenshot(page, 'sign-in');
        await page.locator('button[type="submit"]').click();
        await page.locator('[data-testid="directory-filter-kind"]').waitFor({ timeout: 15_000 });
        const token = await page.evaluate((key) => localStorage.getItem(key), TOKEN_KEY);
        expect(token).toBeTruthy();

        // The commons collectives Camille may join, as the API lists them.
        const listed = await graphqlRequest(
          app.url,
          `{ collectives(kind: COMMONS, first: 100) { edges { node { slug status viewerMembership { status } } } } }`,
          {},
          token as string,
        );
        const commons = new Set<string>(listed.collectives.edges.map((edge: { node: { slug: string } }) => edge.node.slug));
        expect(commons.size).toBeGreaterThan(0);

        await page.locator('[data-testid="directory-filter-kind"]').selectOption('COMMONS');
        // Only commons collectives remain.
        await expect
          .poll(
            async () => {
              const slugs = await page
                .locator('[data-testid="collective-card"]')
                .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-slug')));
              return slugs.length > 0 && slugs.every((slug) => slug !== null && commons.has(slug));
            },
            { timeout: 15_000 },
          )
          .toBe(true);
        await screenshot(page, 'directory-commons');

        const card = page
          .locator('[data-testid="collective-card"]', { has: page.locator('[data-testid="join-button"]') })
          .first();
        const slug = await card.getAttribute('data-slug');
        expect(slug).toBeTruthy();
        await card.locator('[data-testid="join-button"]').click();
        const joined = page.locator(`[data-testid="collective-card"][data-slug="${slug}"] [data-testid="membership-status"]`);
        await joined.waitFor({ timeout: 15_000 });
        await expect(joined.getAttribute('data-status')).resolves.toBe('ACTIVE');
        await screenshot(page, 'directory-joined');

        const after = await graphqlRequest(
          app.url,
          `query ($slug: String!) { collective(slug: $slug) { viewerMembership { status } } }`,
          { slug },
          token as string,
        );
        expect(after.collective.viewerMembership.status).toBe('ACTIVE');
      });
    } finally {
      await context.close();
    }
  }, 90_000);

  it('shows a new member’s dashboard without repeats: « live » said once, no empty deals table, business collectives not counted said', async () => {
    const lea = await signedInContext(app, 'lea.fontaine@collectifs.coop');
    const page = await lea.context.newPage();
    try {
      await scenario('dashboard-new-member', [page], async () => {
        await page.goto('/tableau-de-bord');
        await page.locator('[data-testid="dashboard-collectives-count"]').waitFor({ timeout: 15_000 });
        const text = (await page.locator('main').textContent()) ?? '';
        expect(text.match(/en direct/gi)).toHaveLength(1);
        expect(text).not.toContain('au total');
        expect(text).toContain('Les collectifs business ne sont comptés que pour leurs membres');
        // She sees no deal: said once, with neither an empty chart nor an empty table under it.
        expect(text.match(/Aucune affaire visible/g)).toHaveLength(1);
        expect(await page.locator('[data-testid="dashboard-deals"]').isVisible()).toBe(false);
        await screenshot(page, 'dashboard-new-member');
      });
    } finally {
      await lea.context.close();
    }
  }, 90_000);

  it('moves the dashboard of one person when another proposes a collective, without reload', async () => {
    const camille = await signedInContext(app, CAMILLE);
    const thomas = await signedInContext(app, THOMAS);
    const page = await thomas.context.newPage();
    try {
      await scenario('dashboard', [page], async () => {
        await page.goto('/tableau-de-bord');
        const count = page.locator('[data-testid="dashboard-collectives-count"]');
        await count.waitFor({ timeout: 15_000 });
        const before = Number(await count.textContent());
        await screenshot(page, 'dashboard-before');
        // Marks the document: a reload would lose it.
        await page.evaluate(() => {
          (window as unknown as { notReloaded: boolean }).notReloaded = true;
        });

        const name = `Atelier vélo partagé ${Date.now()}`;
        const created = await graphqlRequest(
          app.url,
          `mutation ($input: CreateCollectiveInput!) { createCollective(input: $input) {
            __typename ... on MutationCreateCollectiveSuccess { data { id } } ... on Error { message } } }`,
          { input: { name, kind: 'COMMONS', purpose: 'Réparer nos vélos ensemble et partager les outils.' } },
          camille.token,
        );
        expect(created.createCollective.__typename, JSON.stringify(created)).toBe('MutationCreateCollectiveSuccess');

        await expect.poll(async () => Number(await count.textContent()), { timeout: 20_000 }).toBe(before + 1);
        await page.locator('[data-testid="dashboard-activity"]').waitFor({ timeout: 5_000 });
        expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
        await screenshot(page, 'dashboard-after');
      });
    } finally {
      await camille.context.close();
      await thomas.context.close();
    }
  }, 90_000);

  it('shows a rule violation next to its field in the create-collective form', async () => {
    const camille = await signedInContext(app, CAMILLE);
    const page = await camille.context.newPage();
    try {
      await scenario('create-collective', [page], async () => {
        // A name another collective already has: the server refuses it (NAME_TAKEN) on the name field.
        const takenName = `Jardin partagé ${Date.now()}`;
        const created = await graphqlRequest(
          app.url,
          `mutation ($input: CreateCollectiveInput!) { createCollective(input: $input) { __typename } }`,
          { input: { name: takenName, kind: 'COMMONS', purpose: 'Cultiver ensemble.' } },
          camille.token,
        );
        expect(created.createCollective.__typename).toBe('MutationCreateCollectiveSuccess');

        await page.goto('/collectifs/nouveau');
        const form = page.locator('[data-testid="create-collective-form"]');
        await form.waitFor({ timeout: 15_000 });
        await form.locator('[name="name"]').fill(takenName);
        await form.locator('[name="kind"]').selectOption('COMMONS');
        await form.locator('[name="purpose"]').fill('Un collectif qui porte un nom déjà pris.');
        await form.locator('button[type="submit"]').click();

        const error = form.locator('[data-testid="field-error"]').first();
        await error.waitFor({ timeout: 15_000 });
        expect((await error.textContent())?.trim()).toBeTruthy();
        // The message is tied to the name field (aria-describedby) and the field is marked invalid.
        const name = form.locator('[name="name"]');
        await expect(name.getAttribute('aria-invalid')).resolves.toBe('true');
        const describedBy = await name.getAttribute('aria-describedby');
        expect(describedBy).toBeTruthy();
        const tied = form.locator(`[id="${describedBy}"][data-testid="field-error"]`);
        await expect(tied.isVisible()).resolves.toBe(true);
        await screenshot(page, 'create-collective-error');
      });
    } finally {
      await camille.context.close();
    }
  }, 60_000);
});
