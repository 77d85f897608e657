import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  CAMILLE,
  chromiumAvailable,
  graphqlRequest,
  openAt,
  pageErrors,
  runStep,
  type SignedIn,
  screenshot,
  signedInPages,
} from '../support/browser.js';
import { confirm, fieldError, fill, form, submit } from '../support/forms.js';

// A member's own profile and leaving the cooperative (issue 12), in two browsers: Aurélie Blanc (who animates
// « Communication de la coopérative » and belongs to the sector collective « Communication et graphisme »)
// edits her profile and then leaves; Camille, a member of the commons collective, watches it lose its animator.

const AURELIE = 'aurelie.blanc@collectifs.coop';
const app = browserAppForFile();
let aurelie: SignedIn;
let a: Page;
let c: Page;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  ({
    people: [aurelie],
    pages: [a, c],
  } = await signedInPages(app, [AURELIE, CAMILLE]));
}, 240_000);

/** Runs a step; on failure, screenshots both pages and adds what they logged. */
const step = (name: string, run: () => Promise<void>) =>
  runStep(app, () => ({ aurelie: a, camille: c }), name, run, { screenshots: true });

describe.skipIf(!chromiumAvailable)('my profile', () => {
  it('edits one’s own profile, with the server’s rules next to their field', async () => {
    await step('profile-edit', async () => {
      await openAt(a, '/');
      await a.locator('[data-testid="my-profile-link"]').click();
      await a.locator('[data-testid="profile-form"]').waitFor({ timeout: 20_000 });
      expect(await a.title()).toBe('Mon profil — Collectifs');
      const profile = form(a, 'profile-form');
      expect(await profile.locator('[name="firstName"]').inputValue()).toBe('Aurélie');

      // An empty first name is said next to the field before anything is sent.
      await fill(profile, { firstName: '' });
      await submit(a, 'profile-form');
      expect(await fieldError(profile, 'firstName')).toMatch(/obligatoire|requis/i);

      // Removing the trade of her sector collective: the server's rule, next to the sectors.
      await fill(profile, { firstName: 'Aurélie' });
      await profile.locator('[name="sectors"][value="COMMUNICATION"]').uncheck();
      await profile.locator('[name="sectors"][value="DESIGN"]').check();
      await submit(a, 'profile-form');
      const sectors = profile.locator('fieldset[aria-invalid="true"]');
      await sectors.waitFor({ timeout: 15_000 });
      expect(await sectors.locator('legend').textContent()).toContain('Secteurs');
      expect(await sectors.locator('[data-testid="field-error"]').textContent()).toContain('collectif de secteur');
      expect((await graphqlRequest(app.url, '{ viewer { sectors } }', {}, aurelie.token)).viewer.sectors).toEqual([
        'COMMUNICATION',
      ]);

      // Keeping the trade and adding one is saved; Camille sees it live in the activity of the collective they share,
      // and on Aurélie's page. Aurélie's own dashboard, open meanwhile, shows it once although it is in the activity
      // of both her collectives.
      await openAt(c, '/collectifs/communication-cooperative');
      await c.locator('[data-testid="live-status"][data-state="connected"]').waitFor({ state: 'attached', timeout: 20_000 });
      const dashboard = await aurelie.context.newPage();
      pageErrors(dashboard);
      await openAt(dashboard, '/tableau-de-bord');
      await dashboard.locator('[data-testid="dashboard-activity"]').waitFor({ timeout: 20_000 });
      const trade = 'Chargée de communication et photographe';
      await profile.locator('[name="sectors"][value="COMMUNICATION"]').check();
      await fill(profile, { trade });
      await submit(a, 'profile-form');
      await profile.locator('.notice--success').waitFor({ timeout: 15_000 });
      expect(await profile.locator('fieldset[aria-invalid="true"]').count()).toBe(0);
      const { viewer } = await graphqlRequest(app.url, '{ viewer { id trade sectors } }', {}, aurelie.token);
      expect(viewer.trade).toBe(trade);
      expect([...viewer.sectors].sort()).toEqual(['COMMUNICATION', 'DESIGN']);
      const change = c.locator('[data-testid="collective-activity"] [data-event-type="member.profileUpdated"]').first();
      await change.waitFor({ timeout: 15_000 });
      expect(await change.textContent()).toContain('Profil mis à jour');
      expect(await change.locator('a').getAttribute('href')).toBe(`/membres/${encodeURIComponent(viewer.id)}`);
      // One snapshot brings the dashboard's whole list: once the change is there, every entry of it is.
      const onDashboard = dashboard.locator('[data-testid="dashboard-activity"] [data-event-type="member.profileUpdated"]');
      await onDashboard.first().waitFor({ timeout: 15_000 });
      expect(await onDashboard.count()).toBe(1);
      await screenshot(dashboard, 'profile-edit-dashboard-aurelie');
      await dashboard.close();
      await openAt(c, `/membres/${encodeURIComponent(viewer.id)}`);
      expect(await c.locator('main header').textContent()).toContain(trade);
      expect(await c.locator('[data-testid="edit-my-profile"]').count()).toBe(0);
    });
  }, 120_000);

  it('leaves the cooperative after a confirmation naming what follows; the collective she animated is flagged live', async () => {
    await step('leave-cooperative', async () => {
      await openAt(c, '/collectifs/communication-cooperative');
      await c.locator('[data-testid="live-status"][data-state="connected"]').waitFor({ state: 'attached', timeout: 20_000 });
      expect(await c.locator('main').textContent()).not.toContain('cherche une personne pour l’animer');

      await openAt(a, '/profil');
      const animated = a.locator('[data-testid="animated-collectives"]');
      expect(await animated.textContent()).toContain('Communication de la coopérative');

      // Cancelling changes nothing.
      await a.locator('[data-testid="leave-cooperative-myself"]').click();
      const dialog = a.locator('[data-testid="confirm-dialog"]');
      await dialog.waitFor({ timeout: 10_000 });
      const consequences = (await dialog.locator('[data-testid="leave-consequences"]').textContent()) ?? '';
      expect(consequences).toContain('Communication de la coopérative');
      expect(consequences).toContain('Communication et graphisme');
      expect(consequences).toMatch(/signalés/);
      expect(consequences).toMatch(/déconnecté·e partout/);
      await screenshot(a, 'leave-cooperative-confirmation');
      await dialog.locator('[data-testid="confirm-no"]').click();
      expect((await graphqlRequest(app.url, '{ viewer { situation } }', {}, aurelie.token)).viewer.situation).toBe('ACTIVE');

      // Confirmed: she is signed out with a word, and Camille's page says the collective lost its animator.
      await a.locator('[data-testid="leave-cooperative-myself"]').click();
      await confirm(a);
      await a.getByText('Vous avez quitté la coopérative').waitFor({ timeout: 20_000 });
      await a.locator('input[type="password"]').waitFor({ timeout: 10_000 });
      expect(await a.evaluate(() => window.localStorage.getItem('collectifs.token'))).toBeNull();
      await c.getByText('Ce collectif cherche une personne pour l’animer.').waitFor({ timeout: 20_000 });
      expect((await graphqlRequest(app.url, '{ viewer { id } }', {}, aurelie.token)).viewer).toBeNull();
    });
  }, 120_000);
});
