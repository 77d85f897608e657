import { hashPassword } from '../auth/password.js';
import { recordHistory } from '../events/record.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type {
  BusinessHorizon,
  CollectiveKind,
  CollectiveStatus,
  LeaveReason,
  MembershipOrigin,
  MembershipRole,
  Openness,
  ReferralStatus,
  Sector,
  ServiceExchangeStatus,
} from '../generated/prisma/enums.js';
import { seedSectionBodies } from './bodies.js';
import { demoHistory } from './history.js';
import type { DemoData } from './rows.js';

export type { DemoData } from './rows.js';

import { PEOPLE } from './people.js';
import { demoId, emailLocalPart, SeedCalendar, siret, splitByWeights } from './support.js';

// A believable demo cooperative (a CAE of the Lyon area): ~40 people, a dozen collectives of
// every kind, opportunities, co-contracting deals, a tender response, a shared trade-show stand,
// a common brand, a product and the sector tools. Every row has an identifier derived from a
// stable key and is inserted with `skipDuplicates`, so seeding again changes nothing. Dates are
// relative to `now`, so deadlines are upcoming, yet the same `now` gives the same rows.

/** The account to sign in with; every demo member shares its password. */
export const DEMO_ACCOUNT = { email: 'camille.martin@collectifs.coop', password: 'collectifs-demo' } as const;

const EMAIL_DOMAIN = 'collectifs.coop';

/**
 * Seeds the demo cooperative. Idempotent: identifiers are derived from stable keys and rows are
 * inserted with `skipDuplicates` in one transaction, so a second run leaves the rows as they are; the history of
 * the last weeks (`seed/history.ts`) goes into the event log only while the log has never held an event.
 * Returns how many members and collectives the demo has and how many events this run wrote.
 */
export async function seedDemoData(
  prisma: PrismaClient,
  options: { now?: Date } = {},
): Promise<{ members: number; collectives: number; events: number }> {
  // scrypt is deliberately slow: hash once, and give every demo member the same hash.
  const passwordHash = await hashPassword(DEMO_ACCOUNT.password);
  const now = options.now ?? new Date();
  const data = buildDemoData(now, passwordHash);
  const skipDuplicates = true;
  await prisma.$transaction([
    prisma.member.createMany({ data: data.members, skipDuplicates }),
    prisma.opportunity.createMany({ data: data.opportunities, skipDuplicates }),
    prisma.opportunityLot.createMany({ data: data.opportunityLots, skipDuplicates }),
    prisma.collective.createMany({ data: data.collectives, skipDuplicates }),
    prisma.membership.createMany({ data: data.memberships, skipDuplicates }),
    prisma.deal.createMany({ data: data.deals, skipDuplicates }),
    prisma.dealPartner.createMany({ data: data.dealPartners, skipDuplicates }),
    prisma.tenderResponse.createMany({ data: data.tenderResponses, skipDuplicates }),
    prisma.tenderSection.createMany({ data: data.tenderSections, skipDuplicates }),
    prisma.tradeShowStand.createMany({ data: data.stands, skipDuplicates }),
    prisma.standOpeningDay.createMany({ data: data.standOpeningDays, skipDuplicates }),
    prisma.standCostLine.createMany({ data: data.standCostLines, skipDuplicates }),
    prisma.standParticipant.createMany({ data: data.standParticipants, skipDuplicates }),
    prisma.standCostShare.createMany({ data: data.standCostShares, skipDuplicates }),
    prisma.standShift.createMany({ data: data.standShifts, skipDuplicates }),
    prisma.standShiftAssignment.createMany({ data: data.standShiftAssignments, skipDuplicates }),
    prisma.brand.createMany({ data: data.brands, skipDuplicates }),
    prisma.brandHolder.createMany({ data: data.brandHolders, skipDuplicates }),
    prisma.brandUsageRuleVersion.createMany({ data: data.brandUsageRuleVersions, skipDuplicates }),
    prisma.brandUsageRuleApproval.createMany({ data: data.brandUsageRuleApprovals, skipDuplicates }),
    prisma.brandAuthorisedUser.createMany({ data: data.brandAuthorisedUsers, skipDuplicates }),
    prisma.product.createMany({ data: data.products, skipDuplicates }),
    prisma.productOwner.createMany({ data: data.productOwners, skipDuplicates }),
    prisma.revenueSplitRule.createMany({ data: data.revenueSplitRules, skipDuplicates }),
    prisma.revenueSplitShare.createMany({ data: data.revenueSplitShares, skipDuplicates }),
    prisma.productSale.createMany({ data: data.productSales, skipDuplicates }),
    prisma.productSaleShare.createMany({ data: data.productSaleShares, skipDuplicates }),
    prisma.priceReference.createMany({ data: data.priceReferences, skipDuplicates }),
    prisma.supplierRecommendation.createMany({ data: data.supplierRecommendations, skipDuplicates }),
    prisma.serviceExchange.createMany({ data: data.serviceExchanges, skipDuplicates }),
    prisma.referral.createMany({ data: data.referrals, skipDuplicates }),
  ]);
  await seedSectionBodies(prisma);
  // What happened lately, as the event log tells it, so the activity of every collective, the feed and the
  // dashboard show a past; written once, into a log that never held anything (see recordHistory).
  const history = demoHistory(data, now);
  const events = await prisma.$transaction((tx) => recordHistory(tx, history));
  return { members: data.members.length, collectives: data.collectives.length, events };
}

// ───────────────────────────── Collectives ─────────────────────────────

/** A membership, with day offsets from today. Its status follows from the dates given. */
interface MembershipSpec {
  member: string;
  origin: MembershipOrigin;
  role?: MembershipRole;
  requested: number;
  joined?: number;
  left?: number;
  leaveReason?: LeaveReason;
  declined?: number;
}

interface CollectiveSpec {
  slug: string;
  name: string;
  kind: CollectiveKind;
  horizon?: BusinessHorizon;
  status: CollectiveStatus;
  openness: Openness;
  purpose: string;
  sector?: Sector;
  objective?: string;
  /** Target date, as a day offset. */
  target?: number;
  opportunity?: string;
  /** Day offset the collective closed, when CLOSED. */
  closed?: number;
  memberships: MembershipSpec[];
}

const founder = (member: string, day: number, role: MembershipRole = 'ANIMATOR'): MembershipSpec => ({
  member,
  origin: 'FOUNDER',
  role,
  requested: day,
  joined: day,
});
const joins = (member: string, day: number, extra: Partial<MembershipSpec> = {}): MembershipSpec => ({
  member,
  origin: 'JOINED',
  requested: day,
  joined: day,
  ...extra,
});
const requests = (member: string, requested: number, joined?: number, extra: Partial<MembershipSpec> = {}): MembershipSpec => ({
  member,
  origin: 'REQUESTED',
  requested,
  ...(joined === undefined ? {} : { joined }),
  ...extra,
});
const invited = (member: string, day: number, extra: Partial<MembershipSpec> = {}): MembershipSpec => ({
  member,
  origin: 'INVITED',
  requested: day,
  joined: day,
  ...extra,
});
const leftCollective = (day: number): Partial<MembershipSpec> => ({ left: day, leaveReason: 'LEFT_COLLECTIVE' });

const COLLECTIVES: readonly CollectiveSpec[] = [
  // Commons: open to all, one associate animator, at most one support-staff co-animator.
  {
    slug: 'vie-cooperative',
    name: 'Vie coopérative',
    kind: 'COMMONS',
    status: 'ACTIVE',
    openness: 'OPEN',
    purpose:
      'Préparer ensemble les assemblées générales, faire vivre la gouvernance partagée et proposer des améliorations au fonctionnement de la coopérative.',
    memberships: [
      founder('camille-martin', -900),
      joins('sophie-lefevre', -880, { role: 'CO_ANIMATOR' }),
      joins('nadia-benali', -850),
      joins('antoine-mercier', -700),
      joins('julien-moreau', -600),
      joins('florian-dupuis', -500),
      joins('emilie-perrin', -500),
      joins('mathieu-roux', -400, leftCollective(-100)),
      joins('isabelle-roche', -400),
      joins('yannick-caron', -380),
      joins('olivier-brun', -300),
      joins('lea-fontaine', -200),
      joins('claire-dubois', -150),
      joins('fatou-diop', -90),
      joins('samuel-nguyen', -30),
    ],
  },
  {
    slug: 'accueil-integration',
    name: 'Accueil et intégration',
    kind: 'COMMONS',
    status: 'ACTIVE',
    openness: 'OPEN',
    purpose:
      'Accueillir les nouveaux entrepreneurs, organiser les réunions d’information et le parrainage, et faciliter le passage du CAPE au contrat d’entrepreneur-salarié.',
    memberships: [
      founder('nadia-benali', -1100),
      joins('sophie-lefevre', -1090, { role: 'CO_ANIMATOR', ...leftCollective(-400) }),
      joins('karim-haddad', -399, { role: 'CO_ANIMATOR' }),
      joins('anne-sophie-marchand', -800),
      joins('helene-picard', -200),
      joins('pierre-yves-le-gall', -60),
      joins('guillaume-henry', -45),
      joins('mehdi-belkacem', -20),
      joins('jerome-meyer', -15),
    ],
  },
  {
    slug: 'communication-cooperative',
    name: 'Communication de la coopérative',
    kind: 'COMMONS',
    status: 'ACTIVE',
    openness: 'OPEN',
    purpose:
      'Raconter la coopérative au-dehors : site, lettre d’information, réseaux sociaux, portraits d’entrepreneurs et présence aux événements de l’ESS.',
    memberships: [
      founder('aurelie-blanc', -600),
      joins('camille-martin', -590),
      joins('olivier-brun', -580),
      joins('thomas-girard', -550),
      joins('chloe-bonnet', -400),
      joins('lucas-fabre', -300),
      joins('ines-garnier', -120),
      joins('baptiste-colin', -40),
    ],
  },
  {
    slug: 'securisation-parcours',
    name: 'Sécurisation des parcours',
    kind: 'COMMONS',
    status: 'PROPOSED',
    openness: 'OPEN',
    purpose:
      'Mieux sécuriser les parcours des entrepreneurs : prévoyance, baisse d’activité, congé parental, fin de CAPE et transition vers le sociétariat.',
    memberships: [
      founder('antoine-mercier', -12),
      joins('isabelle-roche', -10, { role: 'CO_ANIMATOR' }),
      joins('claire-dubois', -8),
      joins('camille-martin', -5),
      joins('sarah-cohen', -3),
    ],
  },
  // Sector collectives: people of the same trade.
  {
    slug: 'redaction-web',
    name: 'Rédaction web et contenus',
    kind: 'SECTOR',
    sector: 'WRITING',
    status: 'ACTIVE',
    openness: 'OPEN',
    purpose:
      'Échanger entre rédacteurs, traducteurs et correcteurs : tarifs observés, outils, relectures croisées et recommandations de clients.',
    memberships: [
      founder('manon-faure', -1000),
      joins('camille-martin', -990),
      joins('marion-robin', -700),
      joins('lea-fontaine', -300),
      joins('julie-masson', -250),
      joins('pierre-yves-le-gall', -50),
    ],
  },
  {
    slug: 'communication-graphisme',
    name: 'Communication et graphisme',
    kind: 'SECTOR',
    sector: 'COMMUNICATION',
    status: 'ACTIVE',
    openness: 'ON_REQUEST',
    purpose:
      'Graphistes, photographes, vidéastes et chargés de communication : partager fournisseurs, prix observés et coups de main entre pairs.',
    memberships: [
      founder('thomas-girard', -800),
      requests('aurelie-blanc', -782, -780),
      requests('camille-martin', -702, -700, leftCollective(-200)),
      requests('chloe-bonnet', -392, -390),
      requests('lucas-fabre', -291, -290),
      requests('helene-picard', -182, -180),
      requests('ines-garnier', -111, -110),
      requests('guillaume-henry', -60, undefined, { declined: -55 }),
      requests('baptiste-colin', -4),
    ],
  },
  {
    slug: 'numerique',
    name: 'Développement web et numérique',
    kind: 'SECTOR',
    sector: 'DIGITAL',
    status: 'ACTIVE',
    openness: 'ON_REQUEST',
    purpose:
      'Développeurs, designers et consultants du numérique : veille, hébergement, revues de code et sous-traitance entre membres.',
    memberships: [
      founder('julien-moreau', -950),
      requests('florian-dupuis', -902, -900),
      requests('elodie-chevalier', -901, -900),
      requests('romain-morel', -852, -850),
      requests('hugo-lambert', -403, -400),
      requests('laure-vincent', -301, -300),
      requests('samuel-nguyen', -2),
    ],
  },
  {
    slug: 'bien-etre',
    name: 'Bien-être et accompagnement',
    kind: 'SECTOR',
    sector: 'WELLBEING',
    status: 'DORMANT',
    openness: 'OPEN',
    purpose:
      'Praticiens du bien-être : partager les salles, les tarifs observés et les assurances, et se recommander des clients.',
    memberships: [
      founder('vincent-gauthier', -1200),
      joins('sarah-cohen', -600),
      joins('claire-dubois', -500),
      joins('jerome-meyer', -15),
    ],
  },
  // One-off business: an objective and a date, tied to an opportunity.
  {
    slug: 'ao-metropole-contenus',
    name: 'Appel d’offres Métropole de Lyon — contenus accessibles',
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    status: 'ACTIVE',
    openness: 'ON_REQUEST',
    purpose:
      'Répondre ensemble, avec un partenaire spécialiste de l’accessibilité, au marché de production de contenus de la Métropole de Lyon.',
    objective: 'Remettre une offre en groupement conjoint sur le lot 1 avant la date limite de remise des offres.',
    target: 21,
    opportunity: 'ao-metropole',
    memberships: [
      founder('camille-martin', -12),
      invited('thomas-girard', -11),
      requests('manon-faure', -10, -9, leftCollective(-3)),
      requests('elodie-chevalier', -1),
    ],
  },
  {
    slug: 'salon-made-in-rhone',
    name: 'Stand commun au salon Made in Rhône',
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    status: 'ACTIVE',
    openness: 'CLOSED',
    purpose: 'Partager un stand, ses frais et ses permanences au salon des artisans et créateurs du Rhône.',
    objective: 'Tenir un stand commun de 12 m² pendant les trois jours du salon et y vendre nos créations.',
    target: 45,
    opportunity: 'salon-made-in-rhone',
    memberships: [
      founder('emilie-perrin', -40),
      invited('sebastien-andre', -38),
      invited('pauline-renaud', -38),
      invited('fatou-diop', -30),
      invited('amandine-lucas', -30),
    ],
  },
  {
    slug: 'consultation-mutuelle-confluence',
    name: 'Consultation Mutuelle Confluence Santé',
    kind: 'BUSINESS',
    horizon: 'ONE_OFF',
    status: 'CLOSED',
    openness: 'ON_REQUEST',
    purpose: 'Répondre à la consultation de la Mutuelle Confluence Santé pour la refonte de ses supports adhérents.',
    objective: 'Remporter la consultation pour la refonte du livret d’accueil et des supports adhérents.',
    target: -241,
    opportunity: 'mutuelle-confluence',
    // Closed once the work was delivered and invoiced, a few weeks ago (its closing is in the demo's history).
    closed: -34,
    memberships: [founder('marion-robin', -300), requests('camille-martin', -296, -295), requests('thomas-girard', -291, -290)],
  },
  // Long-term business: a brand, a product.
  {
    slug: 'lettres-vives',
    name: 'Lettres Vives',
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    status: 'ACTIVE',
    openness: 'ON_REQUEST',
    purpose:
      'Porter la marque commune Lettres Vives : une offre éditoriale complète (rédaction, correction, biographies) vendue ensemble.',
    memberships: [
      founder('manon-faure', -500),
      invited('camille-martin', -495),
      invited('marion-robin', -495),
      requests('julie-masson', -202, -200, leftCollective(-40)),
      requests('lea-fontaine', -72, -70),
    ],
  },
  {
    slug: 'parcours-manager-cooperatif',
    name: 'Parcours Manager en coopération',
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
    status: 'ACTIVE',
    openness: 'ON_REQUEST',
    purpose:
      'Concevoir et vendre ensemble un parcours de formation au management coopératif pour les PME et les structures de l’ESS.',
    memberships: [
      founder('antoine-mercier', -500),
      invited('nadia-benali', -495),
      requests('anne-sophie-marchand', -482, -480, leftCollective(-300)),
      invited('claire-dubois', -420),
      requests('mathieu-roux', -6),
    ],
  },
];

// ───────────────────────────── Building ─────────────────────────────

/** Builds every row of the demo for a given `now` and password hash (pure, deterministic). */
export function buildDemoData(now: Date, passwordHash: string): DemoData {
  const cal = new SeedCalendar(now);
  const at = (offset: number, hour = 9, minute = 0) => cal.at(offset, hour, minute);
  const day = (offset: number) => cal.day(offset);
  const stamp = (date: Date) => ({ createdAt: date, updatedAt: date });

  // ── Members
  const people = new Map(PEOPLE.map((p) => [p.key, p]));
  const person = (key: string) => {
    const found = people.get(key);
    if (!found) throw new Error(`Unknown demo member: ${key}`);
    return found;
  };
  const member = (key: string) => demoId(`member:${person(key).key}`);

  const members: Prisma.MemberCreateManyInput[] = PEOPLE.map((p) => ({
    id: member(p.key),
    email: `${emailLocalPart(p.firstName, p.lastName)}@${EMAIL_DOMAIN}`,
    firstName: p.firstName,
    lastName: p.lastName,
    kind: p.kind,
    contract: p.contract,
    isAssociate: p.associate !== undefined,
    associateSince: p.associate === undefined ? null : day(p.associate),
    situation: p.left === undefined ? 'ACTIVE' : 'LEFT',
    trade: p.trade,
    sectors: p.sectors,
    joinedCooperativeOn: day(p.joined),
    leftCooperativeOn: p.left === undefined ? null : day(p.left),
    passwordHash,
    createdAt: at(p.joined, 9),
    updatedAt: at(p.left ?? p.associate ?? p.joined, 9),
  }));

  // ── Opportunities
  const opportunity = (key: string) => demoId(`opportunity:${key}`);
  const year = cal.currentYear;
  const aoDeadline = at(21, 12);
  const salonDays = [45, 46, 47];
  const opportunities: Prisma.OpportunityCreateManyInput[] = [
    {
      id: opportunity('ao-metropole'),
      kind: 'PUBLIC_TENDER',
      title: 'Accompagnement éditorial et production de contenus accessibles pour les sites de la Métropole',
      buyer: 'Métropole de Lyon',
      reference: `${year}-DCOM-0147`,
      description:
        'Marché à procédure adaptée en trois lots : stratégie éditoriale et rédaction de contenus conformes au RGAA, conception graphique, formation des agents à l’écriture web. Accord-cadre à bons de commande d’un an, reconductible deux fois.',
      questionsDeadline: at(11, 12),
      submissionDeadline: aoDeadline,
      broughtByCooperative: true,
      broughtById: member('olivier-brun'),
      ...stamp(at(-20, 10, 15)),
    },
    {
      id: opportunity('aap-cooperer'),
      kind: 'CALL_FOR_PROJECTS',
      title: 'Appel à projets « Coopérer pour entreprendre »',
      buyer: 'Région Auvergne-Rhône-Alpes',
      reference: `AAP-ESS-${year}-07`,
      description:
        'Soutien aux projets collectifs d’entrepreneurs de l’économie sociale et solidaire : jusqu’à 30 000 € de subvention, 50 % du budget au plus, cofinancements attendus.',
      submissionDeadline: at(40, 12),
      broughtByCooperative: true,
      broughtById: member('isabelle-roche'),
      ...stamp(at(-5, 14, 30)),
    },
    {
      id: opportunity('salon-made-in-rhone'),
      kind: 'TRADE_SHOW',
      title: 'Salon Made in Rhône — artisans et créateurs',
      buyer: 'Association Made in Rhône',
      description: 'Trois jours de salon à Eurexpo : artisans d’art, créateurs, producteurs locaux. Stands de 6 à 18 m².',
      submissionDeadline: at(10, 18),
      broughtByCooperative: false,
      broughtById: member('emilie-perrin'),
      ...stamp(at(-45, 11)),
    },
    {
      id: opportunity('mutuelle-confluence'),
      kind: 'PRIVATE_TENDER',
      title: 'Refonte du livret d’accueil et des supports adhérents',
      buyer: 'Mutuelle Confluence Santé',
      reference: 'MCS-COM-24',
      description:
        'Consultation privée : réécriture en langage clair du livret d’accueil, des guides de garanties et des courriers types.',
      questionsDeadline: at(-250, 12),
      submissionDeadline: at(-241, 17),
      broughtByCooperative: false,
      broughtById: member('marion-robin'),
      ...stamp(at(-305, 16)),
    },
    {
      id: opportunity('coffrets-cse'),
      kind: 'ORDER',
      title: 'Commande de 150 coffrets cadeaux de fin d’année',
      buyer: 'CSE des Laboratoires Gerland Bio',
      description:
        'Coffrets d’artisans et de producteurs locaux (céramique, épicerie fine) pour les salariés ; réponse attendue avec un devis.',
      submissionDeadline: at(18, 18),
      broughtByCooperative: false,
      broughtById: member('amandine-lucas'),
      ...stamp(at(-3, 17, 45)),
    },
    {
      id: opportunity('ao-villeurbanne-formation'),
      kind: 'PUBLIC_TENDER',
      title: 'Formation des agents aux écrits professionnels',
      buyer: 'Ville de Villeurbanne',
      reference: `${year}-FOR-032`,
      description:
        'Sessions d’une journée pour environ 120 agents : écrire clair, courriers aux usagers, écriture inclusive et accessible.',
      questionsDeadline: at(16, 12),
      submissionDeadline: at(30, 12),
      broughtByCooperative: true,
      broughtById: member('karim-haddad'),
      ...stamp(at(-1, 9, 40)),
    },
  ];
  const lot = (key: string, number: number) => demoId(`lot:${key}:${number}`);
  const opportunityLots: Prisma.OpportunityLotCreateManyInput[] = [
    { number: 1, title: 'Stratégie éditoriale, rédaction et accessibilité des contenus', estimatedAmountCents: 6_000_000 },
    { number: 2, title: 'Conception graphique et iconographie', estimatedAmountCents: 3_500_000 },
    { number: 3, title: 'Formation des agents à l’écriture web', estimatedAmountCents: 2_000_000 },
  ].map((l) => ({ id: lot('ao-metropole', l.number), opportunityId: opportunity('ao-metropole'), ...l }));

  // ── Collectives and memberships
  const collective = (slug: string) => {
    if (!COLLECTIVES.some((c) => c.slug === slug)) throw new Error(`Unknown demo collective: ${slug}`);
    return demoId(`collective:${slug}`);
  };
  const collectives: Prisma.CollectiveCreateManyInput[] = [];
  const memberships: Prisma.MembershipCreateManyInput[] = [];
  for (const spec of COLLECTIVES) {
    const first = spec.memberships[0];
    if (first?.origin !== 'FOUNDER') throw new Error(`${spec.slug}: the first membership must be the founder's`);
    const animator = spec.memberships.find((m) => m.role === 'ANIMATOR' && m.left === undefined) ?? first;
    const closedAt = spec.closed === undefined ? null : at(spec.closed, 18);
    collectives.push({
      id: collective(spec.slug),
      slug: spec.slug,
      name: spec.name,
      kind: spec.kind,
      horizon: spec.horizon ?? null,
      status: spec.status,
      openness: spec.openness,
      purpose: spec.purpose,
      sector: spec.sector ?? null,
      objective: spec.objective ?? null,
      targetDate: spec.target === undefined ? null : day(spec.target),
      needsAnimator: false,
      opportunityId: spec.opportunity === undefined ? null : opportunity(spec.opportunity),
      proposedById: member(first.member),
      createdAt: at(first.requested, 9, 30),
      updatedAt: closedAt ?? at(Math.max(...spec.memberships.map((m) => m.left ?? m.declined ?? m.joined ?? m.requested)), 18),
      closedAt,
    });
    const seen = new Map<string, number>();
    spec.memberships.forEach((m, index) => {
      const occurrence = (seen.get(m.member) ?? 0) + 1;
      seen.set(m.member, occurrence);
      const who = person(m.member);
      const hour = 9 + (index % 9);
      const minute = (index * 17) % 60;
      const requestedAt = at(m.requested, hour, minute);
      const joinedAt = m.joined === undefined ? null : m.joined === m.requested ? requestedAt : at(m.joined, hour + 1, minute);
      let status: Prisma.MembershipCreateManyInput['status'] = joinedAt
        ? 'ACTIVE'
        : m.declined === undefined
          ? 'PENDING'
          : 'DECLINED';
      let leftAt = m.left === undefined ? null : at(m.left, 17, minute);
      let leaveReason = m.leaveReason ?? null;
      if (status === 'ACTIVE' && leftAt) status = 'LEFT';
      // A member who left the cooperative left every collective that day.
      if (who.left !== undefined && status === 'ACTIVE') {
        status = 'LEFT';
        leftAt = at(who.left, 17);
        leaveReason = 'LEFT_COOPERATIVE';
      }
      // A closed collective's memberships all ended when it closed.
      if (closedAt && status === 'ACTIVE') {
        status = 'LEFT';
        leftAt = closedAt;
        leaveReason = 'COLLECTIVE_CLOSED';
      }
      const decided = m.origin === 'REQUESTED' && status !== 'PENDING';
      memberships.push({
        id: demoId(`membership:${spec.slug}:${m.member}:${occurrence}`),
        collectiveId: collective(spec.slug),
        memberId: member(m.member),
        role: m.role ?? 'MEMBER',
        status,
        origin: m.origin,
        requestedAt,
        joinedAt,
        leftAt,
        leaveReason,
        invitedById: m.origin === 'INVITED' ? member(animator.member) : null,
        decidedById: decided ? member(animator.member) : null,
        decidedAt: decided ? (joinedAt ?? at(m.declined ?? m.requested, hour + 1, minute)) : null,
      });
    });
  }

  // ── Deals: a joint group with an external company, and a members-only bid.
  const deal = (key: string) => demoId(`deal:${key}`);
  const partner = (key: string) => demoId(`deal-partner:${key}`);
  const semaphoreSiret = siret('52841937', '0002');
  const aoTotal = 4_860_000;
  const aoPartners = [
    {
      key: 'ao-metropole:camille-martin',
      memberId: member('camille-martin'),
      isLead: true,
      shareBasisPoints: 4500,
      scopeOfWork: 'Mandataire. Stratégie éditoriale, rédaction et réécriture des contenus, coordination du groupement.',
    },
    {
      key: 'ao-metropole:thomas-girard',
      memberId: member('thomas-girard'),
      isLead: false,
      shareBasisPoints: 2500,
      scopeOfWork: 'Gabarits de pages, infographies et pictogrammes accessibles.',
    },
    {
      key: 'ao-metropole:semaphore',
      companyName: 'Sémaphore Accessibilité SARL',
      siret: semaphoreSiret,
      isLead: false,
      shareBasisPoints: 3000,
      scopeOfWork: 'Audits RGAA des contenus, recette d’accessibilité et formation des contributeurs.',
    },
  ];
  const mutuelleTotal = 1_850_000;
  const mutuellePartners = [
    {
      key: 'mutuelle:marion-robin',
      memberId: member('marion-robin'),
      isLead: true,
      shareBasisPoints: 4000,
      scopeOfWork: 'Coordination, réécriture du livret d’accueil.',
    },
    {
      key: 'mutuelle:camille-martin',
      memberId: member('camille-martin'),
      isLead: false,
      shareBasisPoints: 3500,
      scopeOfWork: 'Guides de garanties et courriers types.',
    },
    {
      key: 'mutuelle:thomas-girard',
      memberId: member('thomas-girard'),
      isLead: false,
      shareBasisPoints: 2500,
      scopeOfWork: 'Mise en page et iconographie.',
    },
  ];
  const deals: Prisma.DealCreateManyInput[] = [
    {
      id: deal('ao-metropole'),
      collectiveId: collective('ao-metropole-contenus'),
      opportunityId: opportunity('ao-metropole'),
      lotId: lot('ao-metropole', 1),
      title: 'Groupement conjoint — lot 1, contenus accessibles',
      groupForm: 'JOINT',
      status: 'PREPARING',
      totalAmountCents: aoTotal,
      ...stamp(at(-10, 11)),
      updatedAt: at(-2, 16, 20),
    },
    {
      id: deal('mutuelle'),
      collectiveId: collective('consultation-mutuelle-confluence'),
      opportunityId: opportunity('mutuelle-confluence'),
      title: 'Offre Lettres & Images pour la Mutuelle Confluence Santé',
      groupForm: 'NONE',
      status: 'WON',
      totalAmountCents: mutuelleTotal,
      submittedAt: at(-242, 15, 40),
      decidedAt: at(-200, 10),
      ...stamp(at(-290, 10)),
      updatedAt: at(-200, 10),
    },
  ];
  const dealPartners: Prisma.DealPartnerCreateManyInput[] = [
    ...withAmounts(aoPartners, aoTotal).map(({ key, ...p }) => ({
      id: partner(key),
      dealId: deal('ao-metropole'),
      createdAt: at(-10, 11, 5),
      ...p,
    })),
    ...withAmounts(mutuellePartners, mutuelleTotal).map(({ key, ...p }) => ({
      id: partner(key),
      dealId: deal('mutuelle'),
      createdAt: at(-290, 10, 5),
      ...p,
    })),
  ];

  // ── Tender response of the joint deal
  const responseId = demoId('tender-response:ao-metropole');
  const tenderResponses: Prisma.TenderResponseCreateManyInput[] = [
    {
      id: responseId,
      collectiveId: collective('ao-metropole-contenus'),
      dealId: deal('ao-metropole'),
      opportunityId: opportunity('ao-metropole'),
      title: 'Réponse au lot 1 — Métropole de Lyon',
      ...stamp(at(-9, 14)),
      updatedAt: at(-1, 18, 10),
    },
  ];
  const sectionRows: Omit<Prisma.TenderSectionCreateManyInput, 'id' | 'responseId' | 'position'>[] = [
    {
      kind: 'CANDIDACY_FORMS',
      title: 'Lettre de candidature (DC1) et habilitation du mandataire',
      status: 'DONE',
      assigneeId: member('camille-martin'),
      reviewerId: member('thomas-girard'),
      dueAt: at(14, 18),
      wordCount: 420,
      characterCount: 2_730,
    },
    {
      kind: 'TECHNICAL_PROPOSAL',
      title: 'Mémoire technique — compréhension des besoins de la Métropole et méthodologie',
      status: 'DRAFT',
      assigneeId: member('camille-martin'),
      reviewerId: member('thomas-girard'),
      dueAt: at(17, 18),
      wordLimit: 3_000,
      wordCount: 1_240,
      characterCount: 8_150,
    },
    {
      kind: 'PRICE_SCHEDULE',
      title: 'Bordereau des prix unitaires (BPU) et détail quantitatif estimatif',
      status: 'REVIEW',
      assigneeId: member('camille-martin'),
      reviewerId: member('thomas-girard'),
      dueAt: at(18, 12),
    },
    {
      kind: 'PLANNING',
      title: 'Planning prévisionnel de la première année',
      status: 'TODO',
      assigneeId: member('thomas-girard'),
      reviewerId: member('camille-martin'),
      dueAt: at(19, 12),
      characterLimit: 3_000,
    },
    {
      kind: 'REFERENCES',
      title: 'Références de prestations similaires et CV des intervenants',
      status: 'DRAFT',
      assigneeId: member('thomas-girard'),
      reviewerId: member('camille-martin'),
      dueAt: at(18, 18),
      wordLimit: 1_200,
      wordCount: 610,
      characterCount: 3_980,
    },
    {
      kind: 'CANDIDACY_FORMS',
      title: 'Capacités de Sémaphore Accessibilité (DC2) et attestations',
      status: 'TODO',
      assigneeId: member('camille-martin'),
      dueAt: at(15, 12),
      restricted: true,
      ownerPartnerId: partner('ao-metropole:semaphore'),
    },
  ];
  const tenderSections: Prisma.TenderSectionCreateManyInput[] = sectionRows.map((s, index) => ({
    id: demoId(`tender-section:ao-metropole:${index + 1}`),
    responseId,
    position: index + 1,
    ...s,
    ...stamp(at(-9, 14, index)),
    updatedAt: at(-1 - (index % 3), 11 + index, 0),
  }));

  // ── The shared stand at the trade show
  const standId = demoId('stand:salon-made-in-rhone');
  const standParticipantsSpec = [
    { key: 'emilie-perrin', days: 3 },
    { key: 'sebastien-andre', days: 3 },
    { key: 'pauline-renaud', days: 2 },
    { key: 'fatou-diop', days: 1 },
    { key: 'amandine-lucas', days: 2 },
  ];
  const costLines = [
    { label: 'Location du stand nu, 12 m²', category: 'STAND_RENTAL' as const, amountCents: 144_000 },
    { label: 'Mobilier : comptoir, deux vitrines, tabourets', category: 'FURNITURE' as const, amountCents: 38_500 },
    { label: 'Branchement électrique 3 kW', category: 'ELECTRICITY' as const, amountCents: 18_000 },
    { label: 'Kakémono et cartes communes', category: 'COMMUNICATION' as const, amountCents: 12_900 },
    { label: 'Location d’un utilitaire pour le montage', category: 'TRAVEL' as const, amountCents: 9_600 },
  ];
  const standTotal = costLines.reduce((sum, line) => sum + line.amountCents, 0);
  const standShares = splitByWeights(
    standTotal,
    standParticipantsSpec.map((p) => p.days),
  );
  const lastSalonDay = salonDays[salonDays.length - 1] ?? 47;
  const stands: Prisma.TradeShowStandCreateManyInput[] = [
    {
      id: standId,
      collectiveId: collective('salon-made-in-rhone'),
      opportunityId: opportunity('salon-made-in-rhone'),
      eventName: 'Salon Made in Rhône',
      organiser: 'Association Made in Rhône',
      venue: 'Eurexpo Lyon, hall 4 — boulevard de l’Europe, 69680 Chassieu',
      standNumber: 'H4-B27',
      areaSquareMeters: '12.00',
      setUpStartsAt: at((salonDays[0] ?? 45) - 1, 14),
      tearDownEndsAt: at(lastSalonDay, 22),
      registrationDeadline: at(10, 18),
      cancellationDeadline: at(15, 18),
      payerId: member('emilie-perrin'),
      splitMode: 'PRO_RATA_DAYS',
      minimumStaff: 2,
      ...stamp(at(-39, 10)),
      updatedAt: at(-2, 19),
    },
  ];
  const standOpeningDays: Prisma.StandOpeningDayCreateManyInput[] = salonDays.map((offset, index) => ({
    id: demoId(`stand-day:salon-made-in-rhone:${index + 1}`),
    standId,
    day: day(offset),
    opensAt: at(offset, 10),
    closesAt: at(offset, offset === lastSalonDay ? 18 : 19),
  }));
  const standCostLines: Prisma.StandCostLineCreateManyInput[] = costLines.map((line, index) => ({
    id: demoId(`stand-cost:salon-made-in-rhone:${index + 1}`),
    standId,
    ...line,
  }));
  const standParticipants: Prisma.StandParticipantCreateManyInput[] = standParticipantsSpec.map((p) => ({
    id: demoId(`stand-participant:salon-made-in-rhone:${p.key}`),
    standId,
    memberId: member(p.key),
    daysPresent: p.days,
  }));
  const standCostShares: Prisma.StandCostShareCreateManyInput[] = standParticipantsSpec.map((p, index) => ({
    id: demoId(`stand-share:salon-made-in-rhone:${p.key}`),
    standId,
    memberId: member(p.key),
    amountCents: standShares[index] ?? 0,
    computedAt: at(-2, 19),
  }));
  // Two shifts a day; the last afternoon has only one person (understaffed).
  const shiftPlan: { day: number; half: 'am' | 'pm'; staff: string[] }[] = [
    { day: 0, half: 'am', staff: ['emilie-perrin', 'sebastien-andre'] },
    { day: 0, half: 'pm', staff: ['emilie-perrin', 'fatou-diop'] },
    { day: 1, half: 'am', staff: ['pauline-renaud', 'amandine-lucas'] },
    { day: 1, half: 'pm', staff: ['sebastien-andre', 'pauline-renaud', 'emilie-perrin'] },
    { day: 2, half: 'am', staff: ['emilie-perrin', 'amandine-lucas'] },
    { day: 2, half: 'pm', staff: ['sebastien-andre'] },
  ];
  const standShifts: Prisma.StandShiftCreateManyInput[] = [];
  const standShiftAssignments: Prisma.StandShiftAssignmentCreateManyInput[] = [];
  for (const shift of shiftPlan) {
    const offset = salonDays[shift.day] ?? 45;
    const shiftId = demoId(`stand-shift:salon-made-in-rhone:${shift.day + 1}:${shift.half}`);
    standShifts.push({
      id: shiftId,
      standId,
      startsAt: shift.half === 'am' ? at(offset, 10) : at(offset, 14, 30),
      endsAt: shift.half === 'am' ? at(offset, 14, 30) : at(offset, offset === lastSalonDay ? 18 : 19),
      minimumStaff: 2,
    });
    for (const key of shift.staff) {
      standShiftAssignments.push({ id: demoId(`stand-assignment:${shiftId}:${key}`), shiftId, memberId: member(key) });
    }
  }

  // ── The common brand
  const brandId = demoId('brand:lettres-vives');
  const brandHoldersSpec = [
    { key: 'manon-faure', share: 4000 },
    { key: 'camille-martin', share: 3000 },
    { key: 'marion-robin', share: 3000 },
  ];
  const filedOn = day(-430);
  const brands: Prisma.BrandCreateManyInput[] = [
    {
      id: brandId,
      collectiveId: collective('lettres-vives'),
      name: 'Lettres Vives',
      legalKind: 'TRADEMARK',
      inpiNumber: '5038642',
      filedOn,
      niceClasses: [35, 41],
      ...stamp(at(-480, 10)),
      updatedAt: at(-10, 11),
    },
  ];
  const brandHolders: Prisma.BrandHolderCreateManyInput[] = brandHoldersSpec.map((h) => ({
    id: demoId(`brand-holder:lettres-vives:${h.key}`),
    brandId,
    memberId: member(h.key),
    shareBasisPoints: h.share,
  }));
  const ruleV1 = demoId('brand-rule:lettres-vives:1');
  const ruleV2 = demoId('brand-rule:lettres-vives:2');
  const brandUsageRuleVersions: Prisma.BrandUsageRuleVersionCreateManyInput[] = [
    {
      id: ruleV1,
      brandId,
      version: 1,
      text: [
        'Règlement d’usage de la marque Lettres Vives — version 1.',
        '1. La marque désigne les prestations éditoriales (rédaction, correction, biographies) réalisées par ses titulaires et les utilisateurs autorisés.',
        '2. Toute prestation vendue sous la marque est relue par un second membre avant livraison.',
        '3. Le logo est utilisé selon la charte graphique, sans modification.',
        '4. L’autorisation d’usage est accordée par les titulaires à l’unanimité et peut être retirée en cas de manquement.',
      ].join('\n'),
      status: 'IN_FORCE',
      proposedById: member('manon-faure'),
      proposedAt: at(-470, 10),
      effectiveAt: at(-455, 16),
    },
    {
      id: ruleV2,
      brandId,
      version: 2,
      text: [
        'Règlement d’usage de la marque Lettres Vives — version 2.',
        '1. La marque désigne les prestations éditoriales (rédaction, correction, biographies, traduction) réalisées par ses titulaires et les utilisateurs autorisés.',
        '2. Toute prestation vendue sous la marque est relue par un second membre avant livraison.',
        '3. Le logo est utilisé selon la charte graphique, sans modification.',
        '4. L’autorisation d’usage est accordée par les titulaires à l’unanimité et peut être retirée en cas de manquement.',
        '5. Chaque utilisateur autorisé reverse 3 % du chiffre d’affaires réalisé sous la marque pour financer sa promotion.',
      ].join('\n'),
      status: 'PENDING',
      proposedById: member('camille-martin'),
      proposedAt: at(-10, 11),
    },
  ];
  const brandUsageRuleApprovals: Prisma.BrandUsageRuleApprovalCreateManyInput[] = [
    { versionId: ruleV1, key: 'manon-faure', when: at(-470, 10) },
    { versionId: ruleV1, key: 'camille-martin', when: at(-462, 9, 15) },
    { versionId: ruleV1, key: 'marion-robin', when: at(-455, 16) },
    { versionId: ruleV2, key: 'camille-martin', when: at(-10, 11) },
    { versionId: ruleV2, key: 'manon-faure', when: at(-7, 18, 40) },
  ].map((a) => ({
    id: demoId(`brand-approval:${a.versionId}:${a.key}`),
    versionId: a.versionId,
    memberId: member(a.key),
    approvedAt: a.when,
  }));
  const brandAuthorisedUsers: Prisma.BrandAuthorisedUserCreateManyInput[] = [
    { key: 'manon-faure', granted: at(-455, 16) },
    { key: 'camille-martin', granted: at(-455, 16) },
    { key: 'marion-robin', granted: at(-455, 16) },
    { key: 'julie-masson', granted: at(-190, 10), revoked: at(-40, 17) },
    { key: 'lea-fontaine', granted: at(-60, 10) },
  ].map((u) => ({
    id: demoId(`brand-user:lettres-vives:${u.key}`),
    brandId,
    memberId: member(u.key),
    grantedAt: u.granted,
    revokedAt: u.revoked ?? null,
  }));

  // ── The product, its revenue split over time and its sales
  const productId = demoId('product:parcours-manager');
  const products: Prisma.ProductCreateManyInput[] = [
    {
      id: productId,
      collectiveId: collective('parcours-manager-cooperatif'),
      name: 'Parcours « Manager en coopération »',
      description:
        'Six demi-journées de formation et deux séances de coaching d’équipe : gouvernance partagée, décision par consentement, entretiens annuels et prévention des risques psychosociaux.',
      ...stamp(at(-470, 10)),
      updatedAt: at(-150, 10),
    },
  ];
  const productOwnersKeys = ['antoine-mercier', 'nadia-benali', 'claire-dubois'];
  const productOwners: Prisma.ProductOwnerCreateManyInput[] = productOwnersKeys.map((key) => ({
    id: demoId(`product-owner:parcours-manager:${key}`),
    productId,
    memberId: member(key),
  }));
  const secondRuleStart = cal.firstOfMonth(-5);
  const splitRules = [
    {
      id: demoId('revenue-rule:parcours-manager:1'),
      validFrom: cal.firstOfMonth(-14),
      validUntil: new Date(secondRuleStart.getTime() - 86_400_000),
      shares: [
        { key: 'antoine-mercier', share: 4000 },
        { key: 'nadia-benali', share: 4000 },
        { key: 'claire-dubois', share: 2000 },
      ],
    },
    {
      id: demoId('revenue-rule:parcours-manager:2'),
      validFrom: secondRuleStart,
      validUntil: null,
      shares: [
        { key: 'antoine-mercier', share: 3500 },
        { key: 'nadia-benali', share: 3500 },
        { key: 'claire-dubois', share: 3000 },
      ],
    },
  ];
  const revenueSplitRules: Prisma.RevenueSplitRuleCreateManyInput[] = splitRules.map((r) => ({
    id: r.id,
    productId,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
  }));
  const revenueSplitShares: Prisma.RevenueSplitShareCreateManyInput[] = splitRules.flatMap((r) =>
    r.shares.map((s) => ({
      id: demoId(`revenue-share:${r.id}:${s.key}`),
      ruleId: r.id,
      memberId: member(s.key),
      shareBasisPoints: s.share,
    })),
  );
  const salesSpec = [
    { key: '1', soldOn: -240, amountCents: 640_000, client: 'Mutuelle Confluence Santé' },
    { key: '2', soldOn: -90, amountCents: 960_000, client: 'Communauté de communes des Monts du Lyonnais' },
    { key: '3', soldOn: -21, amountCents: 425_050, client: 'SCOP Les Ateliers du Gier' },
  ];
  const productSales: Prisma.ProductSaleCreateManyInput[] = [];
  const productSaleShares: Prisma.ProductSaleShareCreateManyInput[] = [];
  for (const sale of salesSpec) {
    const soldOn = day(sale.soldOn);
    const rule = splitRules.find((r) => r.validFrom <= soldOn && (r.validUntil === null || soldOn <= r.validUntil));
    if (!rule) throw new Error(`No revenue split rule on day ${sale.soldOn}`);
    const saleId = demoId(`product-sale:parcours-manager:${sale.key}`);
    productSales.push({
      id: saleId,
      productId,
      soldOn,
      amountCents: sale.amountCents,
      client: sale.client,
      recordedById: member('antoine-mercier'),
      createdAt: at(sale.soldOn + 1, 10),
    });
    const amounts = splitByWeights(
      sale.amountCents,
      rule.shares.map((s) => s.share),
    );
    rule.shares.forEach((s, index) => {
      productSaleShares.push({
        id: demoId(`sale-share:${saleId}:${s.key}`),
        saleId,
        memberId: member(s.key),
        amountCents: amounts[index] ?? 0,
      });
    });
  }

  // ── Sector tools
  const periodStart = cal.firstOfMonth(-12);
  const periodEnd = new Date(cal.firstOfMonth(0).getTime() - 86_400_000);
  const priceReferences: Prisma.PriceReferenceCreateManyInput[] = [
    ['redaction-web', 'manon-faure', 'Article de blog optimisé (800 mots)', 'FLAT', 12_000, 18_000, 30_000, 7],
    ['redaction-web', 'manon-faure', 'Rédaction web au mot', 'WORD', 8, 12, 20, 6],
    ['redaction-web', 'camille-martin', 'Journée de rédaction ou de correction', 'DAY', 35_000, 45_000, 60_000, 5],
    ['communication-graphisme', 'thomas-girard', 'Création de logo et déclinaisons', 'FLAT', 60_000, 120_000, 250_000, 6],
    ['communication-graphisme', 'ines-garnier', 'Journée de reportage photo', 'DAY', 45_000, 65_000, 90_000, 4],
    ['communication-graphisme', 'chloe-bonnet', 'Animation des réseaux sociaux', 'HOUR', 4_000, 5_500, 7_500, 5],
    ['numerique', 'julien-moreau', 'Développement web', 'DAY', 40_000, 50_000, 65_000, 5],
    ['numerique', 'julien-moreau', 'Site vitrine WordPress', 'FLAT', 250_000, 450_000, 800_000, 5],
    ['bien-etre', 'vincent-gauthier', 'Séance individuelle (1 h)', 'HOUR', 4_500, 5_500, 7_000, 3],
  ].map((row, index) => {
    const [slug, by, service, unit, min, median, max, sample] = row as [
      string,
      string,
      string,
      'FLAT' | 'WORD' | 'DAY' | 'HOUR',
      number,
      number,
      number,
      number,
    ];
    const dormant = slug === 'bien-etre';
    return {
      id: demoId(`price-reference:${slug}:${index}`),
      collectiveId: collective(slug),
      service,
      unit,
      minCents: min,
      medianCents: median,
      maxCents: max,
      sampleSize: sample,
      periodStart: dormant ? cal.firstOfMonth(-30) : periodStart,
      periodEnd: dormant ? new Date(cal.firstOfMonth(-18).getTime() - 86_400_000) : periodEnd,
      createdById: member(by),
      createdAt: dormant ? at(-540, 10) : at(-20 + index, 10),
    };
  });
  const supplierRecommendations: Prisma.SupplierRecommendationCreateManyInput[] = [
    [
      'redaction-web',
      'camille-martin',
      'Antidote (Druide informatique)',
      'Logiciel de correction',
      5,
      'Indispensable pour la relecture finale, licence à prix réduit pour les indépendants.',
      -300,
    ],
    [
      'redaction-web',
      'lea-fontaine',
      'Semrush',
      'Outil SEO',
      4,
      'Cher seul : on peut partager un abonnement à plusieurs dans le collectif.',
      -120,
    ],
    [
      'redaction-web',
      'marion-robin',
      'Imprimerie du Confluent',
      'Impression et reliure',
      5,
      'Tirages courts de biographies, délais tenus, conseils sur le papier.',
      -60,
    ],
    [
      'communication-graphisme',
      'thomas-girard',
      'Exaprint',
      'Impression',
      4,
      'Bon rapport qualité-prix pour les cartes et flyers, attention aux délais en décembre.',
      -400,
    ],
    [
      'communication-graphisme',
      'ines-garnier',
      'Studio Lumière Vaise',
      'Location de studio photo',
      5,
      'Studio de 60 m² à la demi-journée, matériel inclus.',
      -90,
    ],
    [
      'communication-graphisme',
      'lucas-fabre',
      'Pixartprinting',
      'Impression grand format',
      3,
      'Correct pour les kakémonos, service client lent.',
      -200,
    ],
    [
      'numerique',
      'julien-moreau',
      'o2switch',
      'Hébergement web',
      5,
      'Hébergeur français, support réactif, offre unique adaptée aux sites vitrines.',
      -500,
    ],
    [
      'numerique',
      'romain-morel',
      'Infomaniak',
      'Hébergement et messagerie',
      4,
      'Suisse, éthique, bonne messagerie pour les clients.',
      -250,
    ],
    ['numerique', 'hugo-lambert', 'OVHcloud', 'Serveurs', 3, 'Fiable pour les serveurs dédiés, interface peu lisible.', -80],
  ].map((row, index) => {
    const [slug, by, supplierName, category, rating, comment, when] = row as [
      string,
      string,
      string,
      string,
      number,
      string,
      number,
    ];
    return {
      id: demoId(`supplier:${slug}:${index}`),
      collectiveId: collective(slug),
      supplierName,
      category,
      rating,
      comment,
      recommendedById: member(by),
      recommendedAt: at(when, 14),
    };
  });
  const serviceExchanges: Prisma.ServiceExchangeCreateManyInput[] = [
    ['redaction-web', 'manon-faure', 'lea-fontaine', 'Relecture du portfolio et de la page « À propos »', '2.00', 'DONE', -200],
    [
      'redaction-web',
      'camille-martin',
      null,
      'Initiation au référencement naturel pour les nouveaux du collectif',
      '1.50',
      'OFFERED',
      -6,
    ],
    [
      'redaction-web',
      'julie-masson',
      'pierre-yves-le-gall',
      'Traduction anglaise d’un article de présentation',
      '1.00',
      'ACCEPTED',
      -12,
    ],
    [
      'communication-graphisme',
      'thomas-girard',
      'chloe-bonnet',
      'Reprise du logo et de la charte de l’activité de Chloé',
      '4.00',
      'DONE',
      -300,
    ],
    ['communication-graphisme', 'ines-garnier', 'lucas-fabre', 'Portrait photo pour le site', '1.50', 'ACCEPTED', -15],
    ['numerique', 'julien-moreau', 'hugo-lambert', 'Revue de code et mise en production d’un site Symfony', '3.00', 'DONE', -150],
    ['numerique', 'romain-morel', 'laure-vincent', 'Audit SEO rapide de la boutique en ligne', '2.50', 'CANCELLED', -70],
    ['bien-etre', 'vincent-gauthier', 'sarah-cohen', 'Prêt de la salle de pratique de la Croix-Rousse', '3.00', 'DONE', -500],
  ].map((row, index) => {
    const [slug, by, to, description, hours, status, when] = row as [
      string,
      string,
      string | null,
      string,
      string,
      ServiceExchangeStatus,
      number,
    ];
    return {
      id: demoId(`service-exchange:${slug}:${index}`),
      collectiveId: collective(slug),
      providerId: member(by),
      beneficiaryId: to === null ? null : member(to),
      description,
      hours,
      status,
      ...stamp(at(when, 11)),
      updatedAt: at(status === 'OFFERED' ? when : Math.min(when + 10, -1), 11),
    };
  });
  const referrals: Prisma.ReferralCreateManyInput[] = [
    [
      'redaction-web',
      'camille-martin',
      'julie-masson',
      'Office de tourisme de Villefranche-sur-Saône',
      'Traduction du guide des visiteurs en anglais et en allemand.',
      'SIGNED',
      180_000,
      -120,
    ],
    [
      'redaction-web',
      'marion-robin',
      'camille-martin',
      'Domaine des Trois Coteaux',
      'Textes du site et fiches produits du domaine viticole.',
      'QUOTED',
      240_000,
      -25,
    ],
    [
      'redaction-web',
      'manon-faure',
      'pierre-yves-le-gall',
      'Librairie La Virgule',
      'Lettre d’information mensuelle de la librairie.',
      'PROPOSED',
      null,
      -4,
    ],
    [
      'redaction-web',
      'lea-fontaine',
      'manon-faure',
      'Cabinet Morel & Associés',
      'Correction d’un rapport annuel.',
      'LOST',
      95_000,
      -160,
    ],
    [
      'communication-graphisme',
      'aurelie-blanc',
      'ines-garnier',
      'Théâtre de la Croix-Rousse',
      'Photos de la plaquette de saison.',
      'SIGNED',
      150_000,
      -200,
    ],
    [
      'communication-graphisme',
      'thomas-girard',
      'lucas-fabre',
      'Association Habitat et Humanisme Rhône',
      'Vidéo de présentation de trois minutes.',
      'ACCEPTED',
      320_000,
      -14,
    ],
    [
      'numerique',
      'romain-morel',
      'laure-vincent',
      'Fromagerie des Halles',
      'Mise en place d’une boutique en ligne.',
      'ACCEPTED',
      420_000,
      -30,
    ],
    [
      'numerique',
      'julien-moreau',
      'elodie-chevalier',
      'Bibliothèque municipale de Lyon',
      'Refonte de l’ergonomie du portail.',
      'QUOTED',
      680_000,
      -45,
    ],
    [
      'bien-etre',
      'vincent-gauthier',
      'sarah-cohen',
      'Centre social Gerland',
      'Ateliers de gestion du stress pour l’équipe.',
      'SIGNED',
      72_000,
      -420,
    ],
    [
      null,
      'nadia-benali',
      'antoine-mercier',
      'Clinique du Parc',
      'Formation des cadres de santé au management.',
      'SIGNED',
      1_150_000,
      -100,
    ],
  ].map((row, index) => {
    const [slug, from, to, clientName, description, status, amount, when] = row as [
      string | null,
      string,
      string,
      string,
      string,
      ReferralStatus,
      number | null,
      number,
    ];
    return {
      id: demoId(`referral:${index}`),
      collectiveId: slug === null ? null : collective(slug),
      fromMemberId: member(from),
      toMemberId: member(to),
      clientName,
      description,
      status,
      amountCents: amount,
      ...stamp(at(when, 15)),
      updatedAt: at(status === 'PROPOSED' ? when : Math.min(when + 12, -1), 15),
    };
  });

  return {
    members,
    opportunities,
    opportunityLots,
    collectives,
    memberships,
    deals,
    dealPartners,
    tenderResponses,
    tenderSections,
    stands,
    standOpeningDays,
    standCostLines,
    standParticipants,
    standCostShares,
    standShifts,
    standShiftAssignments,
    brands,
    brandHolders,
    brandUsageRuleVersions,
    brandUsageRuleApprovals,
    brandAuthorisedUsers,
    products,
    productOwners,
    revenueSplitRules,
    revenueSplitShares,
    productSales,
    productSaleShares,
    priceReferences,
    supplierRecommendations,
    serviceExchanges,
    referrals,
  };
}

/** Gives each partner its amount from its share, to the cent, so amounts sum to the total. */
function withAmounts<P extends { shareBasisPoints: number }>(partners: P[], totalCents: number): (P & { amountCents: number })[] {
  const total = partners.reduce((sum, p) => sum + p.shareBasisPoints, 0);
  if (total !== 10_000) throw new Error(`Deal shares sum to ${total}, not 10000`);
  const amounts = splitByWeights(
    totalCents,
    partners.map((p) => p.shareBasisPoints),
  );
  return partners.map((p, index) => ({ ...p, amountCents: amounts[index] ?? 0 }));
}
