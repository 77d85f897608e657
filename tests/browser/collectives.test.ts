import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  browserAppForFile,
  CAMILLE,
  chromiumAvailable,
  graphqlRequest,
  openAt,
  runStep,
  type SignedIn,
  screenshot,
  signedInContext,
  signedInPages,
  THOMAS,
} from '../support/browser.js';
import { confirm, fieldError, fill, form, submit } from '../support/forms.js';

// The collective's page in two browsers: what its animators run (details, co-animation, invitations, handover,
// closing) and what members do (join, request, leave), each change seen live by the other person, and each rule
// the server keeps shown next to the field it is about. One server and one browser for the file.

const SOPHIE = 'sophie.lefevre@collectifs.coop';
const app = browserAppForFile();
let camille: SignedIn;
let a: Page;
let b: Page;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  ({
    people: [camille],
    pages: [a, b],
  } = await signedInPages(app, [CAMILLE, THOMAS]));
}, 240_000);

/** A member's global ID, found by name through the API. */
async function memberId(name: string): Promise<string> {
  const data = await graphqlRequest(
    app.url,
    `query ($search: String!) { members(first: 5, search: $search) { edges { node { id displayName } } } }`,
    { search: name.split(' ').at(-1) },
    camille.token,
  );
  const found = data.members.edges.find((edge: { node: { displayName: string } }) => edge.node.displayName.includes(name));
  if (!found) throw new Error(`No member named ${name}`);
  return found.node.id;
}

/** Runs a step; on failure, screenshots both pages and adds what they logged. */
const step = (name: string, run: () => Promise<void>) => runStep(app, () => ({ camille: a, thomas: b }), name, run);

describe.skipIf(!chromiumAvailable)('a collective run from the browser', () => {
  it('edits the collective live for others, with the commons rule next to the openness field', async () => {
    await step('collective-edit', async () => {
      await openAt(a, '/collectifs/vie-cooperative');
      await openAt(b, '/collectifs/vie-cooperative');
      expect(await b.title()).toContain('Vie coopérative');
      await a.locator('[data-testid="edit-collective"]').click();
      const edit = form(a, 'edit-collective-form');
      await fill(edit, { openness: 'CLOSED' });
      await submit(a, 'edit-collective-form');
      expect(await fieldError(edit, 'openness')).toContain('ouvert à toutes et tous');
      await screenshot(a, 'collective-edit-error');

      const purpose = `Préparer l’assemblée générale de juin ${Date.now()}`;
      await fill(edit, { openness: 'OPEN', purpose });
      await submit(a, 'edit-collective-form');
      await b.locator('[data-testid="collective-purpose"]', { hasText: purpose }).waitFor({ timeout: 15_000 });
      // The change also shows in the other person's activity, with a link to the collective, which it names.
      const line = b.locator('[data-testid="collective-activity"] [data-event-type="collective.updated"] a').first();
      await line.waitFor({ timeout: 15_000 });
      expect(await line.textContent()).toBe('Collectif modifié\u00a0: «\u00a0Vie coopérative\u00a0»');
      await screenshot(b, 'collective-page');
    });
  }, 120_000);

  it('names a co-animator (support staff in a commons collective) and invites, live on both sides', async () => {
    await step('collective-coanimator', async () => {
      // Each step opens the pages it works on, so that it depends on no earlier step's page state.
      await openAt(a, '/collectifs/vie-cooperative');
      await openAt(b, '/collectifs/vie-cooperative');
      const lea = await memberId('Léa Fontaine');
      const isabelle = await memberId('Isabelle Roche');
      const thomasId = await memberId('Thomas Girard');
      await a.locator('[data-testid="co-animator"]').click();
      const coAnimator = form(a, 'co-animator-form');
      await fill(coAnimator, { memberId: lea });
      await submit(a, 'co-animator-form');
      expect(await fieldError(coAnimator, 'memberId')).toContain('équipe d’appui');
      await fill(coAnimator, { memberId: isabelle });
      await submit(a, 'co-animator-form');
      await b.locator('[data-testid="collective-co-animator"]', { hasText: 'Isabelle Roche' }).waitFor({ timeout: 15_000 });

      // Inviting someone already in the collective is refused by the member field.
      await a.locator('[data-testid="invite-member"]').click();
      const invite = form(a, 'invite-member-form');
      await fill(invite, { memberId: lea });
      await submit(a, 'invite-member-form');
      expect(await fieldError(invite, 'memberId')).toContain('déjà membre');
      await screenshot(a, 'collective-invite-error');
      await fill(invite, { memberId: thomasId });
      await submit(a, 'invite-member-form');
      // Thomas sees the invitation on the page he has open, accepts it, and Camille sees him among the members.
      await b.locator('[data-testid="membership-status"][data-status="PENDING"]').waitFor({ timeout: 15_000 });
      await screenshot(b, 'collective-invited');
      await b.locator('[data-testid="accept-invitation"]').click();
      await b.locator('[data-testid="membership-status"][data-status="ACTIVE"]').waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="collective-members"]', { hasText: 'Thomas Girard' }).waitFor({ timeout: 15_000 });
    });
  }, 120_000);

  it('hands the animation over (an associate only, in a commons collective) and the new animator closes it', async () => {
    await step('collective-handover', async () => {
      await openAt(a, '/collectifs/vie-cooperative');
      await openAt(b, '/collectifs/vie-cooperative');
      const lea = await memberId('Léa Fontaine');
      const thomasId = await memberId('Thomas Girard');
      await a.locator('[data-testid="hand-over"]').click();
      const handOver = form(a, 'hand-over-form');
      await fill(handOver, { memberId: lea });
      await submit(a, 'hand-over-form', { confirm: true });
      expect(await fieldError(handOver, 'memberId')).toContain('associé');
      await fill(handOver, { memberId: thomasId });
      await submit(a, 'hand-over-form', { confirm: true });
      await b.locator('[data-testid="membership-status"]', { hasText: 'Vous animez ce collectif.' }).waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="collective-animator"]', { hasText: 'Thomas Girard' }).waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="membership-status"]', { hasText: 'Vous êtes membre de ce collectif.' }).waitFor();

      // The new animator closes the collective after confirming; Camille's page says so at once.
      await b.locator('[data-testid="close-collective"]').click();
      await screenshot(b, 'collective-close-confirm');
      await confirm(b);
      await a.locator('[data-testid="collective-status"]', { hasText: 'Clos' }).waitFor({ timeout: 15_000 });
    });
  }, 120_000);

  it('requests to join, is approved live, then leaves after confirming', async () => {
    await step('collective-membership', async () => {
      await openAt(b, '/collectifs/communication-graphisme');
      await openAt(a, '/collectifs/communication-graphisme');
      await a.locator('[data-testid="join-button"]').click();
      await a.locator('[data-testid="membership-status"][data-status="PENDING"]').waitFor({ timeout: 15_000 });
      const request = b.locator('[data-testid="pending-row"]', { hasText: 'Camille Martin' });
      await request.waitFor({ timeout: 15_000 });
      await request.locator('[data-testid="approve-request"]').click();
      await a.locator('[data-testid="membership-status"][data-status="ACTIVE"]').waitFor({ timeout: 15_000 });

      await a.locator('[data-testid="leave-button"]').click();
      await a.locator('[data-testid="confirm-dialog"]').waitFor();
      await screenshot(a, 'collective-leave-confirm');
      await confirm(a);
      await a.locator('[data-testid="membership-status"][data-status="NONE"]').waitFor({ timeout: 15_000 });
      await b.locator('[data-testid="collective-members"]').waitFor();
      await expect
        .poll(() => b.locator('[data-testid="collective-members"]').textContent(), { timeout: 15_000 })
        .not.toContain('Camille Martin');
      // What happened before the page was opened is there on a fresh visit: the history, then live.
      await openAt(a, '/collectifs/communication-graphisme');
      await a
        .locator('[data-testid="collective-activity"] [data-event-type="membership.left"]')
        .first()
        .waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="collective-activity"] [data-event-type="membership.approved"]').first().waitFor();
    });
  }, 120_000);

  it('finds members by name, trade and sector, shows their collectives and roles, and records a departure', async () => {
    await step('members', async () => {
      await openAt(a, '/membres');
      await a.locator('[data-testid="member-search"]').fill('graphiste');
      await expect
        .poll(async () => (await a.locator('[data-testid="member-card"]').allTextContents()).join('|'), { timeout: 15_000 })
        .toContain('Thomas Girard');
      await a.locator('[data-testid="member-search"]').fill('');
      await a.locator('[data-testid="member-sector"]').selectOption('WELLBEING');
      await expect
        .poll(async () => (await a.locator('[data-testid="member-card"]').allTextContents()).join('|'), { timeout: 15_000 })
        .not.toContain('Thomas Girard');
      await screenshot(a, 'member-directory');
      await a.locator('[data-testid="member-sector"]').selectOption('');
      await a.locator('[data-testid="member-search"]').fill('Girard');
      await a.locator('[data-testid="member-card"] a', { hasText: 'Thomas Girard' }).click();
      await a
        .locator('[data-testid="member-collectives"]', { hasText: 'Communication et graphisme' })
        .waitFor({ timeout: 15_000 });
      expect(await a.locator('[data-testid="member-collectives"]').textContent()).toContain('Animateur·rice');
      expect(await a.title()).toContain('Thomas Girard');
      await screenshot(a, 'member-page');

      // A member of the support staff records that someone leaves the cooperative, after confirming.
      const sophie = await signedInContext(app, SOPHIE);
      const page = await sophie.context.newPage();
      try {
        const baptiste = await memberId('Baptiste Colin');
        await openAt(page, `/membres/${encodeURIComponent(baptiste)}`);
        await page.locator('[data-testid="leave-cooperative"]').click();
        await confirm(page);
        await page.locator('[data-testid="member-left"]').waitFor({ timeout: 15_000 });
        await screenshot(page, 'member-left');
      } finally {
        await sophie.context.close();
      }
    });
  }, 120_000);

  it('says « hidden », not « none », for what a business collective keeps to its members; names every page; Paris dates in another time zone', async () => {
    await step('hidden-titles-dates', async () => {
      // A business collective Camille is not in: members, resources and activity are said hidden, never empty.
      const business = await graphqlRequest(
        app.url,
        `{ collectives(first: 50, kind: BUSINESS) { edges { node { slug name viewerMembership { status } deals(first: 1) { totalCount } } } } }`,
        {},
        camille.token,
      );
      // Neither a member nor a partner of one of its deals (a partner follows their deal's events there).
      type Business = { slug: string; name: string; viewerMembership: unknown; deals: { totalCount: number } };
      const outside = business.collectives.edges
        .map((edge: { node: Business }) => edge.node)
        .find((node: Business) => node.viewerMembership === null && node.deals.totalCount === 0);
      expect(outside, 'a business collective Camille is not in, with no deal of hers').toBeTruthy();
      await openAt(a, `/collectifs/${outside.slug}`);
      expect(await a.title()).toBe(`${outside.name} — Collectifs`);
      await a.locator('[data-testid="members-hidden"]').waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="resources-hidden"]').waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="collective-activity-hidden"]').waitFor({ timeout: 15_000 });
      const text = (await a.locator('main').textContent()) ?? '';
      expect(text).not.toContain('Aucune activité');
      expect(text).not.toContain('Aucun membre');
      expect(await a.locator('main .notice--error').count()).toBe(0);
      await screenshot(a, 'business-collective-hidden');
      // One where she is a partner of a deal: that deal shows, and the rest is said hidden (not « reserved » over it).
      const partnered = business.collectives.edges
        .map((edge: { node: Business }) => edge.node)
        .find((node: Business) => node.viewerMembership === null && node.deals.totalCount > 0);
      expect(partnered, 'a business collective where Camille is only a partner').toBeTruthy();
      await openAt(a, `/collectifs/${partnered.slug}`);
      await a.locator('[data-testid="resources-deals"]').waitFor({ timeout: 15_000 });
      await a.locator('[data-testid="resources-partly-hidden"]').waitFor({ timeout: 15_000 });
      expect(await a.locator('[data-testid="resources-hidden"]').count()).toBe(0);

      // Every page names the tab; an unknown tender response is a real not-found page.
      for (const [path, title] of [
        ['/', 'Annuaire des collectifs — Collectifs'],
        ['/membres', 'Annuaire des membres — Collectifs'],
        ['/profil', 'Mon profil — Collectifs'],
        ['/reponses/VGVuZGVyUmVzcG9uc2U6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw', 'Page introuvable — Collectifs'],
      ] as const) {
        await openAt(a, path);
        await expect.poll(() => a.title(), { timeout: 10_000 }).toBe(title);
      }
      await a.locator('[data-testid="not-found"]').waitFor({ timeout: 10_000 });
      const anonymous = await app.browser.newContext({ baseURL: app.url, locale: 'fr-FR' });
      const signIn = await anonymous.newPage();
      await openAt(signIn, '/');
      expect(await signIn.title()).toBe('Connexion — Collectifs');
      await anonymous.close();

      // A browser in New York still reads Paris times: the deadline as Paris's clock shows it, not New York's.
      const newYork = await app.browser.newContext({ baseURL: app.url, locale: 'fr-FR', timezoneId: 'America/New_York' });
      await newYork.addInitScript((token) => window.localStorage.setItem('collectifs.token', token as string), camille.token);
      const page = await newYork.newPage();
      try {
        await openAt(page, '/opportunites');
        const list = await graphqlRequest(
          app.url,
          '{ opportunities(first: 50) { edges { node { title submissionDeadline } } } }',
          {},
          camille.token,
        );
        const first = page.locator('[data-testid="opportunity-list"] > li', { hasText: 'Date limite de remise' }).first();
        await first.waitFor({ timeout: 15_000 });
        const title = ((await first.locator('h2').textContent()) ?? '').trim();
        const deadline = list.opportunities.edges.find((edge: { node: { title: string } }) => edge.node.title === title)?.node
          .submissionDeadline as string;
        expect(deadline, `deadline of ${title}`).toBeTruthy();
        const [paris, local] = await page.evaluate((iso) => {
          const options = { dateStyle: 'medium', timeStyle: 'short' } as const;
          return [
            new Intl.DateTimeFormat('fr-FR', { ...options, timeZone: 'Europe/Paris' }).format(new Date(iso)),
            new Intl.DateTimeFormat('fr-FR', options).format(new Date(iso)),
          ];
        }, deadline);
        expect(paris).not.toBe(local);
        const shown = (await first.textContent()) ?? '';
        expect(shown).toContain(paris);
        expect(shown).not.toContain(local);
      } finally {
        await newYork.close();
      }
    });
  }, 120_000);

  it('pages back through a collective’s history, then shows what happens live on top', async () => {
    await step('activity-paging', async () => {
      const gql = (query: string, variables: Record<string, unknown>) => graphqlRequest(app.url, query, variables, camille.token);
      const created = await gql(
        `mutation ($input: CreateCollectiveInput!) { createCollective(input: $input) {
          __typename ... on MutationCreateCollectiveSuccess { data { id slug } } ... on Error { message } } }`,
        { input: { name: `Atelier archives ${Date.now()}`, kind: 'COMMONS', purpose: 'Garder la mémoire des ateliers.' } },
      );
      const { id, slug } = created.createCollective.data;
      const update = (purpose: string) =>
        gql(
          `mutation ($input: UpdateCollectiveInput!) { updateCollective(input: $input) { __typename ... on Error { message } } }`,
          { input: { id, purpose } },
        );
      // 25 changes after its proposal: more than one page (20) of history.
      for (let i = 1; i <= 25; i += 1)
        expect((await update(`Changement n°${i} de l’atelier.`)).updateCollective.__typename).toBe(
          'MutationUpdateCollectiveSuccess',
        );
      await openAt(a, `/collectifs/${slug}`);
      const items = a.locator('[data-testid="collective-activity"] .activity__item');
      await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(20);
      expect(await a.locator('[data-testid="collective-activity"] [data-event-type="collective.proposed"]').count()).toBe(0);
      await a.locator('[data-testid="collective-activity-older"]').click();
      await a.locator('[data-testid="collective-activity"] [data-event-type="collective.proposed"]').waitFor({ timeout: 15_000 });
      expect(await items.count()).toBe(26);
      expect(await a.locator('[data-testid="collective-activity-older"]').count()).toBe(0);
      // A change made now comes live on top of the history read so far.
      await update('Un dernier changement, en direct.');
      await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(27);
      expect(await items.first().getAttribute('data-event-type')).toBe('collective.updated');
      expect(await items.last().getAttribute('data-event-type')).toBe('collective.proposed');
      await screenshot(a, 'collective-activity-paged');
    });
  }, 120_000);

  it('shows a real not-found page with its own title', async () => {
    await step('not-found', async () => {
      await openAt(a, '/collectifs/nexiste-pas');
      await a.locator('[data-testid="not-found"]').waitFor({ timeout: 15_000 });
      expect(await a.title()).toContain('Page introuvable');
      await openAt(a, '/une/adresse/inconnue');
      await a.locator('[data-testid="not-found"]').waitFor();
      await screenshot(a, 'not-found');
      // Found by an attacker: a malformed ID in the address showed « Une erreur inattendue » (the server's
      // BAD_USER_INPUT) and left the tab untitled, where a well-formed unknown ID said « Page introuvable ».
      for (const path of ['/affaires/xyz', '/stands/xyz', '/produits/xyz', '/objet/nonsense', '/membres/xyz', '/reponses/xyz']) {
        await openAt(a, path);
        await a.locator('[data-testid="not-found"]').waitFor({ timeout: 15_000 });
        expect({ path, title: await a.title() }).toEqual({ path, title: 'Page introuvable — Collectifs' });
      }
    });
  }, 60_000);
});
