import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/src/auth/password.js';
import { payloadWithGlobalIds } from '../../server/src/events/payload-ids.js';
import { EVENT_TYPES, isEventType } from '../../server/src/events/types.js';
import { DEMO_ACCOUNT, seedDemoData } from '../../server/src/seed/demo.js';
import { HISTORY_DAYS } from '../../server/src/seed/history.js';
import { isLuhnValid } from '../../server/src/seed/support.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { notGlobalId, payloadIdFields } from '../support/events.js';

// The demo seed: idempotent, and a cooperative that keeps the domain's rules (DOMAIN.md).

const NOW = new Date('2026-03-27T08:30:00Z');
const DAY = 86_400_000;

interface TableState {
  rows: number;
  digest: string;
}

/** Every table's row count and a digest of its full contents. */
async function snapshot(db: TestDatabase): Promise<Record<string, TableState>> {
  const tables = await db.sql.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations' ORDER BY tablename`,
  );
  const state: Record<string, TableState> = {};
  for (const { name } of tables) {
    const [row] = await db.sql.query<{ rows: number; digest: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${name}" t`,
    );
    if (row) state[name] = { rows: row.rows, digest: row.digest };
  }
  return state;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('demo seed', () => {
  let db: TestDatabase;
  let first: Record<string, TableState>;
  let second: Record<string, TableState>;
  let third: Record<string, TableState>;
  let result: { members: number; collectives: number; events: number };
  const again: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    result = await seedDemoData(db.prisma, { now: NOW });
    first = await snapshot(db);
    again.push((await seedDemoData(db.prisma, { now: NOW })).events);
    second = await snapshot(db);
    // Later, on another day: still nothing new.
    again.push((await seedDemoData(db.prisma, { now: new Date(NOW.getTime() + 3 * DAY) })).events);
    third = await snapshot(db);
  });

  afterAll(async () => {
    await db?.dispose();
  });

  it('leaves exactly the same rows in every table when run twice', () => {
    expect(Object.keys(first).length).toBeGreaterThan(25);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(first.Member?.rows).toBe(result.members);
    expect(first.Collective?.rows).toBe(result.collectives);
    expect(first.EventLog?.rows).toBe(result.events);
    expect(again).toEqual([0, 0]);
    for (const table of [
      'EventLog',
      'Membership',
      'Opportunity',
      'Deal',
      'DealPartner',
      'TenderSection',
      'StandShift',
      'BrandHolder',
      'ProductSale',
      'Referral',
    ]) {
      expect(first[table]?.rows, table).toBeGreaterThan(0);
    }
  });

  it('has about forty members: associates, CESA, CAPE, support staff and a few who left', async () => {
    const members = await db.prisma.member.findMany();
    expect(members.length).toBeGreaterThanOrEqual(35);
    expect(members.length).toBeLessThanOrEqual(45);
    expect(new Set(members.map((m) => m.email)).size).toBe(members.length);

    const staff = members.filter((m) => m.kind === 'SUPPORT_STAFF');
    expect(staff.length).toBeGreaterThanOrEqual(4);
    expect(staff.length).toBeLessThanOrEqual(5);
    for (const m of staff) expect(m.contract).toBe('STAFF');

    const entrepreneurs = members.filter((m) => m.kind === 'ENTREPRENEUR');
    for (const m of entrepreneurs) expect(m.contract).not.toBe('STAFF');
    expect(entrepreneurs.filter((m) => m.isAssociate).length).toBeGreaterThanOrEqual(8);
    expect(entrepreneurs.filter((m) => m.contract === 'CESA' && !m.isAssociate).length).toBeGreaterThanOrEqual(5);
    expect(entrepreneurs.filter((m) => m.contract === 'CAPE').length).toBeGreaterThanOrEqual(3);
    expect(new Set(entrepreneurs.flatMap((m) => m.sectors)).size).toBeGreaterThanOrEqual(6);

    for (const m of members) {
      if (m.contract === 'CAPE') expect(m.isAssociate, m.email).toBe(false);
      expect(m.isAssociate, m.email).toBe(m.associateSince !== null);
      if (m.associateSince) expect(m.associateSince.getTime()).toBeGreaterThanOrEqual(m.joinedCooperativeOn.getTime());
      expect(m.situation === 'LEFT', m.email).toBe(m.leftCooperativeOn !== null);
    }
    const left = members.filter((m) => m.situation === 'LEFT');
    expect(left.length).toBeGreaterThanOrEqual(1);
    expect(left.length).toBeLessThanOrEqual(2);
  });

  it('lets the demo account and every member sign in with the demo password', async () => {
    const camille = await db.prisma.member.findUniqueOrThrow({ where: { email: DEMO_ACCOUNT.email } });
    expect(await verifyPassword(DEMO_ACCOUNT.password, camille.passwordHash)).toBe(true);
    expect(await verifyPassword('wrong-password', camille.passwordHash)).toBe(false);
    const hashes = await db.prisma.member.findMany({ select: { passwordHash: true }, distinct: ['passwordHash'] });
    expect(hashes).toHaveLength(1);
  });

  it('shows plenty to the demo account: an associate animating a commons collective, member of several others', async () => {
    const camille = await db.prisma.member.findUniqueOrThrow({
      where: { email: DEMO_ACCOUNT.email },
      include: { memberships: { include: { collective: true } } },
    });
    expect(camille).toMatchObject({
      firstName: 'Camille',
      lastName: 'Martin',
      kind: 'ENTREPRENEUR',
      isAssociate: true,
      situation: 'ACTIVE',
    });
    const active = camille.memberships.filter((m) => m.status === 'ACTIVE');
    expect(active.some((m) => m.role === 'ANIMATOR' && m.collective.kind === 'COMMONS')).toBe(true);
    expect(active.length).toBeGreaterThanOrEqual(5);
    expect(new Set(active.map((m) => m.collective.kind)).size).toBe(3);
    expect(camille.memberships.some((m) => m.status === 'LEFT')).toBe(true);
  });

  it('has a dozen collectives of every kind and status', async () => {
    const collectives = await db.prisma.collective.findMany();
    expect(collectives.length).toBeGreaterThanOrEqual(10);
    expect(collectives.length).toBeLessThanOrEqual(14);
    const count = (predicate: (c: (typeof collectives)[number]) => boolean) => collectives.filter(predicate).length;
    expect(count((c) => c.kind === 'COMMONS')).toBeGreaterThanOrEqual(3);
    expect(count((c) => c.kind === 'SECTOR')).toBeGreaterThanOrEqual(3);
    expect(count((c) => c.kind === 'BUSINESS' && c.horizon === 'ONE_OFF')).toBeGreaterThanOrEqual(2);
    expect(count((c) => c.kind === 'BUSINESS' && c.horizon === 'LONG_TERM')).toBe(2);
    for (const status of ['PROPOSED', 'DORMANT', 'CLOSED'] as const)
      expect(
        count((c) => c.status === status),
        status,
      ).toBe(1);
    for (const c of collectives) {
      expect(c.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.horizon === null, c.slug).toBe(c.kind !== 'BUSINESS');
      expect(c.sector === null, c.slug).toBe(c.kind !== 'SECTOR');
      if (c.kind === 'COMMONS') expect(c.openness, c.slug).toBe('OPEN');
      expect(c.closedAt === null, c.slug).toBe(c.status !== 'CLOSED');
    }
  });

  it('gives every commons collective one active associate-entrepreneur animator and at most one support-staff co-animator', async () => {
    const commons = await db.prisma.collective.findMany({
      where: { kind: 'COMMONS' },
      include: { memberships: { where: { status: 'ACTIVE' }, include: { member: true } } },
    });
    expect(commons.length).toBeGreaterThanOrEqual(3);
    for (const c of commons) {
      const animators = c.memberships.filter((m) => m.role === 'ANIMATOR');
      expect(animators, c.slug).toHaveLength(1);
      expect(animators[0]?.member).toMatchObject({ kind: 'ENTREPRENEUR', isAssociate: true, situation: 'ACTIVE' });
      const coAnimators = c.memberships.filter((m) => m.role === 'CO_ANIMATOR');
      expect(coAnimators.length, c.slug).toBeLessThanOrEqual(1);
      for (const m of coAnimators) expect(m.member.kind).toBe('SUPPORT_STAFF');
    }
  });

  it('gives every other open collective exactly one active animator', async () => {
    const others = await db.prisma.collective.findMany({
      where: { kind: { not: 'COMMONS' }, status: { not: 'CLOSED' } },
      include: { memberships: { where: { status: 'ACTIVE', role: 'ANIMATOR' }, include: { member: true } } },
    });
    expect(others.length).toBeGreaterThanOrEqual(6);
    for (const c of others) {
      expect(c.memberships, c.slug).toHaveLength(1);
      expect(c.memberships[0]?.member.situation).toBe('ACTIVE');
      expect(c.needsAnimator).toBe(false);
    }
  });

  it('keeps sector collectives to their trade and business collectives to their objective', async () => {
    const collectives = await db.prisma.collective.findMany({
      include: { memberships: { where: { status: 'ACTIVE' }, include: { member: true } }, brands: true, products: true },
    });
    for (const c of collectives) {
      if (c.kind === 'SECTOR') {
        expect(c.sector).not.toBeNull();
        for (const m of c.memberships) expect(m.member.sectors, `${c.slug}: ${m.member.email}`).toContain(c.sector);
      }
      if (c.horizon === 'ONE_OFF') {
        expect(c.objective, c.slug).toBeTruthy();
        expect(c.targetDate, c.slug).not.toBeNull();
        expect(c.opportunityId, c.slug).not.toBeNull();
        expect(['CLOSED', 'ON_REQUEST']).toContain(c.openness);
      }
      if (c.horizon === 'LONG_TERM') {
        expect(c.targetDate, c.slug).toBeNull();
        expect(c.brands.length + c.products.length, c.slug).toBeGreaterThan(0);
      }
    }
  });

  it('keeps membership history consistent', async () => {
    const memberships = await db.prisma.membership.findMany({ include: { member: true, collective: true } });
    const byStatus = (status: string) => memberships.filter((m) => m.status === status);
    expect(byStatus('PENDING').length).toBeGreaterThanOrEqual(2);
    expect(byStatus('DECLINED').length).toBeGreaterThanOrEqual(1);
    expect(byStatus('LEFT').length).toBeGreaterThanOrEqual(5);
    for (const m of memberships) {
      const label = `${m.collective.slug}: ${m.member.email}`;
      if (m.joinedAt && m.leftAt) expect(m.leftAt.getTime(), label).toBeGreaterThanOrEqual(m.joinedAt.getTime());
      if (m.joinedAt) {
        expect(m.joinedAt.getTime(), label).toBeGreaterThanOrEqual(m.requestedAt.getTime());
        expect(m.joinedAt.getTime(), label).toBeGreaterThanOrEqual(m.member.joinedCooperativeOn.getTime());
      }
      expect(m.status === 'LEFT', label).toBe(m.leftAt !== null && m.leaveReason !== null);
      if (m.status === 'ACTIVE' || m.status === 'LEFT') expect(m.joinedAt, label).not.toBeNull();
      if (m.status === 'PENDING') {
        expect(m.joinedAt, label).toBeNull();
        expect(m.origin).toBe('REQUESTED');
        expect(m.collective.openness).toBe('ON_REQUEST');
      }
      if (m.origin === 'FOUNDER') expect(m.collective.proposedById, label).toBe(m.memberId);
    }
  });

  it('ends every membership of members who left the cooperative on the day they left', async () => {
    const left = await db.prisma.member.findMany({ where: { situation: 'LEFT' }, include: { memberships: true } });
    expect(left.length).toBeGreaterThan(0);
    for (const m of left) {
      expect(m.memberships.length).toBeGreaterThan(0);
      for (const membership of m.memberships) {
        expect(['ACTIVE', 'PENDING']).not.toContain(membership.status);
        if (membership.leaveReason === 'LEFT_COOPERATIVE') {
          expect(membership.leftAt?.toISOString().slice(0, 10)).toBe(m.leftCooperativeOn?.toISOString().slice(0, 10));
        }
      }
      expect(m.memberships.some((membership) => membership.leaveReason === 'LEFT_COOPERATIVE')).toBe(true);
    }
  });

  it('closes every membership of the closed collective', async () => {
    const closed = await db.prisma.collective.findMany({ where: { status: 'CLOSED' }, include: { memberships: true } });
    expect(closed).toHaveLength(1);
    for (const c of closed) {
      for (const m of c.memberships.filter((m) => m.joinedAt !== null)) {
        expect(m).toMatchObject({ status: 'LEFT', leaveReason: 'COLLECTIVE_CLOSED', leftAt: c.closedAt });
      }
    }
  });

  it('has upcoming deadlines and opportunities of every kind', async () => {
    const opportunities = await db.prisma.opportunity.findMany({ include: { lots: true } });
    expect(opportunities.length).toBeGreaterThanOrEqual(4);
    expect(opportunities.length).toBeLessThanOrEqual(6);
    const kinds = new Set(opportunities.map((o) => o.kind));
    for (const kind of ['PUBLIC_TENDER', 'PRIVATE_TENDER', 'CALL_FOR_PROJECTS', 'TRADE_SHOW', 'ORDER'] as const)
      expect(kinds).toContain(kind);
    const tender = opportunities.find((o) => o.kind === 'PUBLIC_TENDER' && o.lots.length > 0);
    const deadline = tender?.submissionDeadline?.getTime() ?? 0;
    expect(deadline - NOW.getTime()).toBeGreaterThan(14 * DAY);
    expect(deadline - NOW.getTime()).toBeLessThan(28 * DAY);
    // Noon, Paris time (summer time on that day).
    expect(tender?.submissionDeadline?.toISOString()).toBe('2026-04-17T10:00:00.000Z');
    for (const o of opportunities) {
      if (o.questionsDeadline && o.submissionDeadline)
        expect(o.questionsDeadline.getTime()).toBeLessThan(o.submissionDeadline.getTime());
    }
  });

  it('balances the deals: one lead per group, shares to 100 %, amounts to the total, valid SIRET', async () => {
    const deals = await db.prisma.deal.findMany({ include: { partners: true } });
    expect(deals).toHaveLength(2);
    const joint = deals.find((d) => d.groupForm === 'JOINT');
    const internal = deals.find((d) => d.groupForm === 'NONE');
    expect(joint?.partners).toHaveLength(3);
    expect(joint?.partners.filter((p) => p.memberId !== null)).toHaveLength(2);
    expect(internal?.partners.every((p) => p.memberId !== null && p.siret === null)).toBe(true);
    for (const deal of deals) {
      expect(sum(deal.partners.map((p) => p.shareBasisPoints)), deal.title).toBe(10_000);
      expect(sum(deal.partners.map((p) => p.amountCents)), deal.title).toBe(deal.totalAmountCents);
      expect(deal.partners.filter((p) => p.isLead).length).toBeLessThanOrEqual(1);
      for (const p of deal.partners) {
        expect((p.memberId === null) !== (p.companyName === null)).toBe(true);
        if (p.siret !== null) {
          expect(p.siret).toMatch(/^\d{14}$/);
          expect(isLuhnValid(p.siret)).toBe(true);
          expect(isLuhnValid(p.siret.slice(0, 9))).toBe(true);
        }
      }
    }
    expect(joint?.partners.filter((p) => p.isLead)).toHaveLength(1);
    for (const p of joint?.partners ?? []) expect(p.scopeOfWork).toBeTruthy();
    expect(isLuhnValid('12345678901234')).toBe(false);
  });

  it('has a tender response in sections with owners and limits', async () => {
    const response = await db.prisma.tenderResponse.findFirstOrThrow({ include: { sections: true, deal: true } });
    expect(response.deal?.groupForm).toBe('JOINT');
    expect(response.sections.length).toBeGreaterThanOrEqual(5);
    expect(response.sections.map((s) => s.position).sort((a, b) => a - b)).toEqual(response.sections.map((_, i) => i + 1));
    expect(new Set(response.sections.map((s) => s.status)).size).toBeGreaterThanOrEqual(3);
    expect(response.sections.some((s) => s.kind === 'TECHNICAL_PROPOSAL' && s.wordLimit !== null)).toBe(true);
    for (const s of response.sections) {
      if (s.wordLimit !== null) expect(s.wordCount).toBeLessThanOrEqual(s.wordLimit);
      if (s.characterLimit !== null) expect(s.characterCount).toBeLessThanOrEqual(s.characterLimit);
    }
  });

  it('splits the stand costs to the cent and staffs its shifts without overlaps', async () => {
    const stand = await db.prisma.tradeShowStand.findFirstOrThrow({
      include: {
        costLines: true,
        costShares: true,
        participants: true,
        openingDays: true,
        shifts: { include: { assignments: true } },
      },
    });
    expect(sum(stand.costShares.map((s) => s.amountCents))).toBe(sum(stand.costLines.map((l) => l.amountCents)));
    expect(stand.costShares).toHaveLength(stand.participants.length);
    expect(stand.openingDays.length).toBeGreaterThanOrEqual(2);
    for (const d of stand.openingDays) {
      expect(d.opensAt.getTime()).toBeLessThan(d.closesAt.getTime());
      expect(d.opensAt.toISOString().slice(0, 10)).toBe(d.day.toISOString().slice(0, 10));
    }
    expect(stand.shifts.some((s) => s.assignments.length < s.minimumStaff)).toBe(true);
    const byMember = new Map<string, { startsAt: Date; endsAt: Date }[]>();
    for (const shift of stand.shifts) {
      for (const a of shift.assignments) byMember.set(a.memberId, [...(byMember.get(a.memberId) ?? []), shift]);
    }
    for (const shifts of byMember.values()) {
      const sorted = [...shifts].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      for (let i = 1; i < sorted.length; i++) {
        expect(sorted[i]?.startsAt.getTime()).toBeGreaterThanOrEqual(sorted[i - 1]?.endsAt.getTime() ?? 0);
      }
    }
  });

  it('keeps the brand, product and sales shares whole', async () => {
    const brand = await db.prisma.brand.findFirstOrThrow({
      include: { holders: true, usageRules: { include: { approvals: true } }, authorisedUsers: true },
    });
    expect(sum(brand.holders.map((h) => h.shareBasisPoints))).toBe(10_000);
    expect(brand.inpiNumber).toBeTruthy();
    expect(brand.filedOn).not.toBeNull();
    expect(brand.niceClasses.length).toBeGreaterThan(0);
    const holders = new Set(brand.holders.map((h) => h.memberId));
    const inForce = brand.usageRules.find((r) => r.status === 'IN_FORCE');
    const pending = brand.usageRules.find((r) => r.status === 'PENDING');
    expect(new Set(inForce?.approvals.map((a) => a.memberId))).toEqual(holders);
    expect(pending?.approvals.length).toBeGreaterThan(0);
    expect(pending?.approvals.length).toBeLessThan(holders.size);
    expect(brand.authorisedUsers.length).toBeGreaterThan(holders.size);

    const rules = await db.prisma.revenueSplitRule.findMany({ include: { shares: true }, orderBy: { validFrom: 'asc' } });
    expect(rules.length).toBeGreaterThan(0);
    for (const [i, rule] of rules.entries()) {
      expect(sum(rule.shares.map((s) => s.shareBasisPoints))).toBe(10_000);
      const next = rules[i + 1];
      if (next) expect(rule.validUntil?.getTime()).toBeLessThan(next.validFrom.getTime());
    }
    const sales = await db.prisma.productSale.findMany({ include: { shares: true } });
    expect(sales.length).toBeGreaterThanOrEqual(2);
    for (const sale of sales) expect(sum(sale.shares.map((s) => s.amountCents))).toBe(sale.amountCents);
  });

  it('fills the sector tools with plausible values', async () => {
    const prices = await db.prisma.priceReference.findMany({ include: { collective: true } });
    expect(prices.length).toBeGreaterThan(0);
    for (const p of prices) {
      expect(p.collective.kind).toBe('SECTOR');
      expect(p.minCents).toBeLessThanOrEqual(p.medianCents);
      expect(p.medianCents).toBeLessThanOrEqual(p.maxCents);
      expect(p.periodStart.getTime()).toBeLessThanOrEqual(p.periodEnd.getTime());
    }
    const suppliers = await db.prisma.supplierRecommendation.findMany();
    expect(suppliers.length).toBeGreaterThan(0);
    for (const s of suppliers) expect(s.rating >= 1 && s.rating <= 5).toBe(true);
    expect(await db.prisma.serviceExchange.count()).toBeGreaterThan(0);
    const referrals = await db.prisma.referral.findMany();
    expect(new Set(referrals.map((r) => r.status)).size).toBeGreaterThanOrEqual(4);
    for (const r of referrals) expect(r.fromMemberId).not.toBe(r.toMemberId);
  });
  describe('history in the event log', () => {
    type Row = {
      position: bigint;
      type: string;
      subjectId: string;
      collectiveId: string | null;
      actorId: string | null;
      payload: unknown;
      createdAt: Date;
    };
    let events: Row[];
    beforeAll(async () => {
      events = await db.prisma.eventLog.findMany({ orderBy: { position: 'asc' } });
    });

    it('tells the last weeks of every collective with registered event types, in positions that follow time', async () => {
      expect(events.length).toBeGreaterThan(50);
      for (const event of events) {
        expect(isEventType(event.type), event.type).toBe(true);
        expect(event.createdAt.getTime(), event.type).toBeLessThan(NOW.getTime());
        expect(event.createdAt.getTime(), event.type).toBeGreaterThanOrEqual(NOW.getTime() - HISTORY_DAYS * DAY);
      }
      // Readers page the log by position, newest first, and a subscription resumes from one: positions run
      // 1, 2, 3… in the order of the events' times, so "newest first" by position is newest first by date.
      expect(events.map((event) => event.position)).toEqual(events.map((_, index) => BigInt(index + 1)));
      for (let i = 1; i < events.length; i++) {
        expect((events[i] as Row).createdAt.getTime()).toBeGreaterThanOrEqual((events[i - 1] as Row).createdAt.getTime());
      }
      // Spread over the weeks, not bunched on one day.
      const weeks = new Set(events.map((event) => Math.floor((NOW.getTime() - event.createdAt.getTime()) / (7 * DAY))));
      expect(weeks.size).toBeGreaterThanOrEqual(HISTORY_DAYS / 7 - 1);
      const collectives = await db.prisma.collective.findMany({ select: { id: true, slug: true } });
      for (const c of collectives)
        expect(events.filter((event) => event.collectiveId === c.id).length, c.slug).toBeGreaterThan(0);
      // Of many kinds: memberships, deals, tender sections, stands, brands, products, sector tools.
      const families = new Set(events.map((event) => event.type.split('.')[0]));
      for (const family of [
        'collective',
        'membership',
        'opportunity',
        'deal',
        'tenderResponse',
        'tenderSection',
        'stand',
        'brand',
        'product',
        'priceReference',
        'serviceExchange',
        'referral',
      ])
        expect(families, family).toContain(family);
    });

    it('is about rows that exist: subjects of the registry’s type, collectives, actors and payload IDs', async () => {
      const tables: Record<string, string> = {
        TradeShowStand: 'TradeShowStand',
        BrandUsageRuleVersion: 'BrandUsageRuleVersion',
        BrandAuthorisedUser: 'BrandAuthorisedUser',
      };
      const exists = async (table: string, id: string) =>
        (await db.sql.query<{ found: number }>(`SELECT count(*)::int AS found FROM "${table}" WHERE id = $1`, [id]))[0]?.found ===
        1;
      const problems: string[] = [];
      for (const event of events) {
        const [typename, id] = Buffer.from(event.subjectId, 'base64').toString('utf8').split(':');
        const expected = EVENT_TYPES[event.type as keyof typeof EVENT_TYPES].subject;
        if (typename !== expected) problems.push(`${event.type}: subject ${typename}, not ${expected}`);
        else if (!(await exists(tables[typename] ?? typename, id ?? ''))) problems.push(`${event.type}: no ${typename} ${id}`);
        if (event.collectiveId && !(await exists('Collective', event.collectiveId)))
          problems.push(`${event.type}: no collective`);
        if (event.actorId === null || !(await exists('Member', event.actorId)))
          problems.push(`${event.type}: actor ${event.actorId}`);
        for (const { path, key, value } of payloadIdFields(payloadWithGlobalIds(event.payload))) {
          const problem = notGlobalId(key, value);
          if (problem) problems.push(`${event.type} ${path}: ${problem}`);
        }
      }
      expect([...new Set(problems)]).toEqual([]);
    });

    it('agrees with the rows: memberships joined, requested and decided, the deal, the response, the closed collective', async () => {
      const since = new Date(NOW.getTime() - HISTORY_DAYS * DAY);
      const memberships = await db.prisma.membership.findMany({ where: { joinedAt: { gte: since }, origin: 'JOINED' } });
      expect(memberships.length).toBeGreaterThan(3);
      for (const m of memberships) {
        const joined = events.find(
          (event) =>
            event.type === 'membership.joined' &&
            event.collectiveId === m.collectiveId &&
            (event.payload as { memberId: string }).memberId === m.memberId,
        );
        expect(joined?.createdAt).toEqual(m.joinedAt);
        expect(joined?.actorId).toBe(m.memberId);
      }
      const pending = await db.prisma.membership.findMany({ where: { status: 'PENDING', requestedAt: { gte: since } } });
      expect(pending.length).toBeGreaterThan(0);
      for (const m of pending) {
        const mine = events.filter((event) => event.subjectId === Buffer.from(`Membership:${m.id}`).toString('base64'));
        expect(mine.map((event) => [event.type, (event.payload as { status: string }).status])).toEqual([
          ['membership.requested', 'PENDING'],
        ]);
      }
      const deal = await db.prisma.deal.findFirstOrThrow({ where: { status: 'PREPARING' } });
      const dealEvents = events.filter((event) => event.subjectId === Buffer.from(`Deal:${deal.id}`).toString('base64'));
      expect(dealEvents.map((event) => event.type)).toEqual(['deal.created', 'deal.statusChanged', 'deal.statusChanged']);
      expect(dealEvents.at(-1)?.payload).toMatchObject({ from: 'GO', status: 'PREPARING' });
      expect(dealEvents[0]?.createdAt).toEqual(deal.createdAt);
      const closed = await db.prisma.collective.findFirstOrThrow({ where: { status: 'CLOSED' } });
      expect(events.find((event) => event.type === 'collective.closed')).toMatchObject({
        collectiveId: closed.id,
        createdAt: closed.closedAt,
      });
      const sections = await db.prisma.tenderSection.findMany({ where: { status: { in: ['REVIEW', 'DONE'] } } });
      for (const section of sections) {
        const last = events
          .filter((event) => event.subjectId === Buffer.from(`TenderSection:${section.id}`).toString('base64'))
          .at(-1);
        // (The section's own updatedAt moved when the seed wrote its body.)
        expect(last).toMatchObject({ type: 'tenderSection.statusChanged', payload: { status: section.status } });
      }
    });
  });
});
