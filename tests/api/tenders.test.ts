import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma, SectionStatus } from '../../server/src/generated/prisma/client.js';
import { createTestApp, type Json, type TestApp } from '../support/app.js';
import { expectGlobalPayloadIds } from '../support/events.js';
import { gid, makeBiddingCollective, makeCollective, makeMember } from '../support/scenario.js';
import { expectForbidden, expectRefusal, FAILURE, mutate, success } from './operations.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const DAY = 86_400_000;

// ───────────────────────────── Documents ─────────────────────────────

const SECTION = /* GraphQL */ `
  fragment SectionFields on TenderSection {
    id kind title position status dueAt effectiveDueAt wordLimit characterLimit wordCount characterCount isOverLimit restricted
    assignee { id }
    reviewer { id }
    ownerPartner { id }
    response { id }
  }
`;

const RESPONSE = /* GraphQL */ `
  fragment ResponseFields on TenderResponse {
    id title submittedAt isSubmitted
    collective { id }
    deal { id }
    opportunity { id }
    checklist { total done inReview overLimit progress }
    sections { ...SectionFields }
  }
  ${SECTION}
`;

function mutation(name: string, inputType: string, returns: 'TenderResponse' | 'TenderSection') {
  const fragment = returns === 'TenderResponse' ? RESPONSE : SECTION;
  const spread = returns === 'TenderResponse' ? '...ResponseFields' : '...SectionFields';
  return /* GraphQL */ `
    mutation($input: ${inputType}!) {
      result: ${name}(input: $input) {
        __typename
        ... on Mutation${name[0]?.toUpperCase()}${name.slice(1)}Success { data { ${spread} } }
        ...Failure
      }
    }
    ${fragment}
    ${FAILURE}
  `;
}

const CREATE = mutation('createTenderResponse', 'CreateTenderResponseInput', 'TenderResponse');
const UPDATE_RESPONSE = mutation('updateTenderResponse', 'UpdateTenderResponseInput', 'TenderResponse');
const ADD = mutation('addTenderSection', 'AddTenderSectionInput', 'TenderSection');
const UPDATE = mutation('updateTenderSection', 'UpdateTenderSectionInput', 'TenderSection');
const MOVE = mutation('moveTenderSection', 'MoveTenderSectionInput', 'TenderSection');
const REMOVE = mutation('removeTenderSection', 'RemoveTenderSectionInput', 'TenderResponse');
const STATUS = mutation('changeTenderSectionStatus', 'ChangeTenderSectionStatusInput', 'TenderSection');

const NODE = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      __typename id
      ... on TenderResponse { ...ResponseFields }
      ... on TenderSection { ...SectionFields }
    }
  }
  ${RESPONSE}
`;

const LISTS = /* GraphQL */ `
  query($collectiveId: ID, $dealId: ID, $slug: String!) {
    tenderResponses(collectiveId: $collectiveId, dealId: $dealId, first: 50) { totalCount edges { node { id } } }
    collective(slug: $slug) { tenderResponses(first: 50) { totalCount edges { node { id } } } }
  }
`;

const ASSIGNED = /* GraphQL */ `
  query { sectionsAssignedToMe { id title status effectiveDueAt } }
`;

// ───────────────────────────── Scenario ─────────────────────────────

type Person = { id: string; token: string };

async function person(data: Partial<Prisma.MemberUncheckedCreateInput> = {}): Promise<Person> {
  const member = await makeMember(t.db.prisma, data);
  return { id: member.id, token: await t.tokenFor(member.id) };
}

/**
 * A one-off business collective bidding on a public tender with an external company and a member from
 * outside the collective. `lead` animates the collective and leads the deal; `colleague` is in the
 * collective but no partner; `partner` is a member-partner from outside the collective.
 */
async function scene(options: { deadline?: Date | null; opportunityKind?: 'PUBLIC_TENDER' | 'CALL_FOR_PROJECTS' } = {}) {
  const [lead, colleague, partner, staff, outsider] = await Promise.all([
    person(),
    person(),
    person(),
    person({ kind: 'SUPPORT_STAFF', contract: 'STAFF', isAssociate: false }),
    person(),
  ]);
  const collective = await makeBiddingCollective(t.db.prisma, lead.id, [colleague.id]);
  const deadline = options.deadline === undefined ? new Date(Date.now() + 30 * DAY) : options.deadline;
  const opportunity = await t.db.prisma.opportunity.create({
    data: {
      kind: options.opportunityKind ?? 'PUBLIC_TENDER',
      title: 'Refonte du site de la métropole',
      buyer: 'Métropole de Lyon',
      submissionDeadline: deadline,
    },
  });
  const deal = await t.db.prisma.deal.create({
    data: {
      collectiveId: collective.id,
      opportunityId: opportunity.id,
      title: 'Groupement site métropole',
      groupForm: 'JOINT',
      status: 'PREPARING',
    },
  });
  const leadPartner = await t.db.prisma.dealPartner.create({ data: { dealId: deal.id, memberId: lead.id, isLead: true } });
  const memberPartner = await t.db.prisma.dealPartner.create({ data: { dealId: deal.id, memberId: partner.id } });
  const company = await t.db.prisma.dealPartner.create({
    data: { dealId: deal.id, companyName: 'Atelier Numérique SARL', siret: '12345678901234' },
  });
  return { lead, colleague, partner, staff, outsider, collective, opportunity, deal, leadPartner, memberPartner, company };
}
type Scene = Awaited<ReturnType<typeof scene>>;

/** A response for the scene's deal, straight in the database, with sections of the given statuses. */
async function responseFor(s: Scene, sections: Array<Partial<Prisma.TenderSectionUncheckedCreateInput>> = []) {
  return t.db.prisma.tenderResponse.create({
    data: {
      collectiveId: s.collective.id,
      dealId: s.deal.id,
      opportunityId: s.opportunity.id,
      title: 'Réponse métropole',
      sections: {
        create: sections.map((section, index) => ({
          kind: 'FREE' as const,
          title: `Section ${index + 1}`,
          position: index + 1,
          ...section,
        })),
      },
    },
    include: { sections: { orderBy: { position: 'asc' } } },
  });
}

/** Every row a tender rule may touch, to prove a rejected change changed nothing. */
async function tenderSnapshot() {
  const [responses, sections, events] = await Promise.all([
    t.db.prisma.tenderResponse.findMany({ orderBy: { id: 'asc' } }),
    t.db.prisma.tenderSection.findMany({ orderBy: { id: 'asc' } }),
    t.db.prisma.eventLog.count(),
  ]);
  return { responses, sections, events };
}

/** Runs a mutation that must fail with this rule (or bound: `expectRefusal`) on this field, and checks nothing changed. */
async function expectRejected(document: string, input: Record<string, unknown>, token: string, rule: string, field: string) {
  const before = await tenderSnapshot();
  const result = await mutate(t, document, { input }, token);
  expectRefusal(result, rule, field);
  expect(await tenderSnapshot()).toEqual(before);
}

/** Runs a mutation that must come back not-found on this field, with nothing changed. */
async function expectNotFound(document: string, input: Record<string, unknown>, token: string, field: string) {
  const before = await tenderSnapshot();
  const result = await mutate(t, document, { input }, token);
  expect(result, JSON.stringify(result)).toMatchObject({ __typename: 'NotFoundError', field });
  expect(await tenderSnapshot()).toEqual(before);
}

/** Runs a mutation that must be forbidden, with nothing changed. */
async function expectForbiddenChange(document: string, input: Record<string, unknown>, token: string) {
  const before = await tenderSnapshot();
  expectForbidden(await mutate(t, document, { input }, token));
  expect(await tenderSnapshot()).toEqual(before);
}

async function node(id: string, token: string): Promise<Json> {
  const response = await t.gql(NODE, { id }, token);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data?.node;
}

async function lastEvent() {
  return t.db.prisma.eventLog.findFirstOrThrow({ orderBy: { position: 'desc' } });
}

/** The item at `index`, which the test knows is there. */
function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`No item at ${index}.`);
  return item;
}

const responseId = (id: string) => gid('TenderResponse', id);
const sectionId = (id: string) => gid('TenderSection', id);

// ───────────────────────────── Tests ─────────────────────────────

describe('Create', () => {
  it("should start a deal's response with the standard tender sections in order, in the deal's collective", async () => {
    const s = await scene();
    const created = success(
      await mutate(t, CREATE, { input: { dealId: gid('Deal', s.deal.id), withDefaultSections: true } }, s.lead.token),
    );
    expect(created).toMatchObject({
      title: 'Groupement site métropole',
      submittedAt: null,
      isSubmitted: false,
      collective: { id: gid('Collective', s.collective.id) },
      deal: { id: gid('Deal', s.deal.id) },
      opportunity: { id: gid('Opportunity', s.opportunity.id) },
      checklist: { total: 6, done: 0, inReview: 0, overLimit: 0, progress: 0 },
    });
    expect(created.sections.map((section: Json) => [section.position, section.kind, section.title, section.status])).toEqual([
      [1, 'CANDIDACY_FORMS', 'Formulaires de candidature (DC1, DC2)', 'TODO'],
      [2, 'TECHNICAL_PROPOSAL', 'Mémoire technique', 'TODO'],
      [3, 'PRICE_SCHEDULE', 'Bordereau des prix', 'TODO'],
      [4, 'PLANNING', 'Planning', 'TODO'],
      [5, 'REFERENCES', 'Références', 'TODO'],
      [6, 'CVS', 'CV des intervenants', 'TODO'],
    ]);
    const stored = await t.db.prisma.tenderResponse.findUniqueOrThrow({ where: { dealId: s.deal.id } });
    expect(responseId(stored.id)).toBe(created.id);
    expect(stored).toMatchObject({ collectiveId: s.collective.id, opportunityId: s.opportunity.id, submittedAt: null });
    expect(await lastEvent()).toMatchObject({
      type: 'tenderResponse.created',
      subjectId: created.id,
      collectiveId: s.collective.id,
      actorId: s.lead.id,
    });
  });

  it('should start a call for projects response with a project description and a budget', async () => {
    const s = await scene();
    const call = await t.db.prisma.opportunity.create({
      data: { kind: 'CALL_FOR_PROJECTS', title: 'Appel à projets économie sociale', buyer: 'Région' },
    });
    const created = success(
      await mutate(
        t,
        CREATE,
        {
          input: {
            opportunityId: gid('Opportunity', call.id),
            collectiveId: gid('Collective', s.collective.id),
            title: 'Notre projet',
            withDefaultSections: true,
          },
        },
        s.colleague.token,
      ),
    );
    expect(created).toMatchObject({
      title: 'Notre projet',
      collective: { id: gid('Collective', s.collective.id) },
      deal: null,
      opportunity: { id: gid('Opportunity', call.id) },
    });
    expect(created.sections.map((section: Json) => [section.position, section.kind, section.title])).toEqual([
      [1, 'PROJECT_DESCRIPTION', 'Description du projet'],
      [2, 'BUDGET', 'Budget et cofinancements'],
    ]);
    const stored = await t.db.prisma.tenderResponse.findFirstOrThrow({ where: { opportunityId: call.id } });
    expect(stored).toMatchObject({ dealId: null, collectiveId: s.collective.id, title: 'Notre projet' });
  });

  it("should start an empty response by default, and let a deal's external member-partner start it", async () => {
    const s = await scene();
    const created = success(await mutate(t, CREATE, { input: { dealId: gid('Deal', s.deal.id) } }, s.partner.token));
    expect(created).toMatchObject({ sections: [], checklist: { total: 0, progress: 0 } });
  });

  it('should refuse a second response for a deal', async () => {
    const s = await scene();
    await responseFor(s);
    await expectRejected(CREATE, { dealId: gid('Deal', s.deal.id) }, s.lead.token, 'RESPONSE_EXISTS', 'input.dealId');
  });

  it('should refuse a response naming both a deal and a call for projects, or neither', async () => {
    const s = await scene();
    const deal = gid('Deal', s.deal.id);
    const call = gid('Opportunity', s.opportunity.id);
    const collective = gid('Collective', s.collective.id);
    await expectRejected(
      CREATE,
      { dealId: deal, opportunityId: call },
      s.lead.token,
      'DEAL_OR_CALL_FOR_PROJECTS',
      'input.opportunityId',
    );
    await expectRejected(
      CREATE,
      { dealId: deal, collectiveId: collective },
      s.lead.token,
      'DEAL_OR_CALL_FOR_PROJECTS',
      'input.collectiveId',
    );
    await expectRejected(CREATE, {}, s.lead.token, 'REQUIRED', 'input.dealId');
    await expectRejected(CREATE, { opportunityId: call }, s.lead.token, 'REQUIRED', 'input.collectiveId');
  });

  it('should refuse a response without a deal to anything but a call for projects', async () => {
    const s = await scene();
    await expectRejected(
      CREATE,
      { opportunityId: gid('Opportunity', s.opportunity.id), collectiveId: gid('Collective', s.collective.id) },
      s.lead.token,
      'NOT_A_CALL_FOR_PROJECTS',
      'input.opportunityId',
    );
  });

  it('should refuse a call for projects response in a collective the viewer is not an active member of', async () => {
    const s = await scene({ opportunityKind: 'CALL_FOR_PROJECTS' });
    const input = { opportunityId: gid('Opportunity', s.opportunity.id), collectiveId: gid('Collective', s.collective.id) };
    await expectNotFound(CREATE, input, s.partner.token, 'input.collectiveId');
    await expectNotFound(CREATE, input, s.outsider.token, 'input.collectiveId');
    await expectForbiddenChange(CREATE, input, s.staff.token);
    await expectNotFound(
      CREATE,
      { ...input, opportunityId: gid('Opportunity', randomUUID()) },
      s.lead.token,
      'input.opportunityId',
    );
  });

  it('should refuse a response to a deal already submitted', async () => {
    const s = await scene();
    await t.db.prisma.deal.update({ where: { id: s.deal.id }, data: { status: 'SUBMITTED', submittedAt: new Date() } });
    await expectRejected(CREATE, { dealId: gid('Deal', s.deal.id) }, s.lead.token, 'SUBMITTED_READ_ONLY', 'input.dealId');
  });

  it('should hide the deal from outsiders and refuse the support staff', async () => {
    const s = await scene();
    await expectNotFound(CREATE, { dealId: gid('Deal', s.deal.id) }, s.outsider.token, 'input.dealId');
    await expectNotFound(CREATE, { dealId: gid('Deal', randomUUID()) }, s.lead.token, 'input.dealId');
    await expectForbiddenChange(CREATE, { dealId: gid('Deal', s.deal.id) }, s.staff.token);
  });

  it('should rename a response and record it', async () => {
    const s = await scene();
    const response = await responseFor(s);
    const renamed = success(
      await mutate(
        t,
        UPDATE_RESPONSE,
        { input: { responseId: responseId(response.id), title: 'Offre finale' } },
        s.colleague.token,
      ),
    );
    expect(renamed.title).toBe('Offre finale');
    expect(await t.db.prisma.tenderResponse.findUniqueOrThrow({ where: { id: response.id } })).toMatchObject({
      title: 'Offre finale',
    });
    expect(await lastEvent()).toMatchObject({ type: 'tenderResponse.updated', actorId: s.colleague.id });
  });
});

describe('Order', () => {
  it('should append a section with its kind’s French title, or the title given', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}, {}]);
    const added = success(
      await mutate(t, ADD, { input: { responseId: responseId(response.id), kind: 'PLANNING' } }, s.lead.token),
    );
    expect(added).toMatchObject({ kind: 'PLANNING', title: 'Planning', position: 3, status: 'TODO', restricted: false });
    const free = success(
      await mutate(
        t,
        ADD,
        { input: { responseId: responseId(response.id), kind: 'FREE', title: 'Note de sécurité' } },
        s.lead.token,
      ),
    );
    expect(free).toMatchObject({ kind: 'FREE', title: 'Note de sécurité', position: 4 });
    expect(await lastEvent()).toMatchObject({ type: 'tenderSection.added', subjectId: free.id, collectiveId: s.collective.id });
  });

  it('should refuse a free section without a title', async () => {
    const s = await scene();
    const response = await responseFor(s);
    await expectRejected(ADD, { responseId: responseId(response.id), kind: 'FREE' }, s.lead.token, 'REQUIRED', 'input.title');
  });

  it('should move a section and keep positions contiguous', async () => {
    const s = await scene();
    const response = await responseFor(s, [{ title: 'A' }, { title: 'B' }, { title: 'C' }, { title: 'D' }]);
    const a = at(response.sections, 0);
    const d = at(response.sections, 3);
    const order = async () =>
      (await t.db.prisma.tenderSection.findMany({ where: { responseId: response.id }, orderBy: { position: 'asc' } })).map(
        (section) => `${section.position}${section.title}`,
      );
    expect(success(await mutate(t, MOVE, { input: { sectionId: sectionId(d.id), position: 1 } }, s.lead.token))).toMatchObject({
      position: 1,
    });
    expect(await order()).toEqual(['1D', '2A', '3B', '4C']);
    await mutate(t, MOVE, { input: { sectionId: sectionId(a.id), position: 4 } }, s.lead.token);
    expect(await order()).toEqual(['1D', '2B', '3C', '4A']);
    await mutate(t, MOVE, { input: { sectionId: sectionId(a.id), position: 3 } }, s.lead.token);
    expect(await order()).toEqual(['1D', '2B', '3A', '4C']);
    expect(await lastEvent()).toMatchObject({ type: 'tenderSection.moved', subjectId: sectionId(a.id) });
  });

  it('should refuse a position outside the sections', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}, {}, {}]);
    const id = sectionId(at(response.sections, 1).id);
    await expectRejected(MOVE, { sectionId: id, position: 4 }, s.lead.token, 'POSITION_OUT_OF_RANGE', 'input.position');
    // Below 1 (and past 1 000) is outside the bound of any position (server/src/limits/numbers.ts).
    for (const position of [0, -1])
      await expectRejected(MOVE, { sectionId: id, position }, s.lead.token, 'TOO_SMALL', 'input.position');
    await expectRejected(MOVE, { sectionId: id, position: 1_001 }, s.lead.token, 'TOO_LARGE', 'input.position');
  });

  it('should remove a section still to do and empty, the next ones moving up', async () => {
    const s = await scene();
    const response = await responseFor(s, [{ title: 'A' }, { title: 'B' }, { title: 'C' }]);
    const result = success(
      await mutate(t, REMOVE, { input: { sectionId: sectionId(at(response.sections, 0).id) } }, s.lead.token),
    );
    expect(result.sections.map((section: Json) => [section.position, section.title])).toEqual([
      [1, 'B'],
      [2, 'C'],
    ]);
    expect(await t.db.prisma.tenderSection.count({ where: { responseId: response.id } })).toBe(2);
    expect(await lastEvent()).toMatchObject({ type: 'tenderSection.removed', subjectId: sectionId(at(response.sections, 0).id) });
  });

  it('should refuse to remove a section begun or not empty', async () => {
    const s = await scene();
    const response = await responseFor(s, [
      { status: 'DRAFT' },
      { status: 'TODO', wordCount: 12, characterCount: 70 },
      { status: 'DONE' },
    ]);
    for (const section of response.sections) {
      await expectRejected(REMOVE, { sectionId: sectionId(section.id) }, s.lead.token, 'SECTION_STARTED', 'input.sectionId');
    }
  });
});

describe('People', () => {
  it('should assign a collective member or an external member-partner, and clear the assignee', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const id = sectionId(at(response.sections, 0).id);
    const updated = success(
      await mutate(
        t,
        UPDATE,
        { input: { sectionId: id, assigneeId: gid('Member', s.colleague.id), reviewerId: gid('Member', s.partner.id) } },
        s.lead.token,
      ),
    );
    expect(updated).toMatchObject({
      assignee: { id: gid('Member', s.colleague.id) },
      reviewer: { id: gid('Member', s.partner.id) },
    });
    expect(await lastEvent()).toMatchObject({ type: 'tenderSection.updated', subjectId: id, actorId: s.lead.id });
    const cleared = success(await mutate(t, UPDATE, { input: { sectionId: id, assigneeId: null } }, s.lead.token));
    expect(cleared).toMatchObject({ assignee: null, reviewer: { id: gid('Member', s.partner.id) } });
  });

  it('should refuse an assignee or reviewer who does not work on the response', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const id = sectionId(at(response.sections, 0).id);
    const formerColleague = await person();
    await t.db.prisma.membership.create({
      data: {
        collectiveId: s.collective.id,
        memberId: formerColleague.id,
        status: 'LEFT',
        origin: 'JOINED',
        joinedAt: new Date(),
        leftAt: new Date(),
      },
    });
    const substituted = await person();
    await t.db.prisma.dealPartner.create({ data: { dealId: s.deal.id, memberId: substituted.id, status: 'SUBSTITUTED' } });
    const gone = await person({ situation: 'LEFT' });
    await t.db.prisma.membership.create({
      data: { collectiveId: s.collective.id, memberId: gone.id, status: 'ACTIVE', origin: 'JOINED', joinedAt: new Date() },
    });
    for (const who of [s.outsider, s.staff, formerColleague, substituted, gone]) {
      await expectRejected(
        UPDATE,
        { sectionId: id, assigneeId: gid('Member', who.id) },
        s.lead.token,
        'NOT_A_CONTRIBUTOR',
        'input.assigneeId',
      );
      await expectRejected(
        UPDATE,
        { sectionId: id, reviewerId: gid('Member', who.id) },
        s.lead.token,
        'NOT_A_CONTRIBUTOR',
        'input.reviewerId',
      );
    }
    await expectRejected(
      ADD,
      { responseId: responseId(response.id), kind: 'CVS', assigneeId: gid('Member', s.outsider.id) },
      s.lead.token,
      'NOT_A_CONTRIBUTOR',
      'input.assigneeId',
    );
  });

  it('should refuse to remove the reviewer of a section in review', async () => {
    const s = await scene();
    const response = await responseFor(s, [{ status: 'REVIEW', reviewerId: s.colleague.id }]);
    await expectRejected(
      UPDATE,
      { sectionId: sectionId(at(response.sections, 0).id), reviewerId: null },
      s.lead.token,
      'REVIEWER_REQUIRED',
      'input.reviewerId',
    );
    const changed = success(
      await mutate(
        t,
        UPDATE,
        { input: { sectionId: sectionId(at(response.sections, 0).id), reviewerId: gid('Member', s.partner.id) } },
        s.lead.token,
      ),
    );
    expect(changed.reviewer).toEqual({ id: gid('Member', s.partner.id) });
  });
});

describe('Due dates', () => {
  it("should follow the opportunity's submission deadline when no due date is given", async () => {
    const s = await scene();
    const response = await responseFor(s);
    const added = success(
      await mutate(t, ADD, { input: { responseId: responseId(response.id), kind: 'PLANNING' } }, s.lead.token),
    );
    expect(added).toMatchObject({ dueAt: null, effectiveDueAt: s.opportunity.submissionDeadline?.toISOString() });
  });

  it('should accept a due date up to the deadline, and clear it back to the deadline', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const id = sectionId(at(response.sections, 0).id);
    const early = new Date(Date.now() + 10 * DAY).toISOString();
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, dueAt: early } }, s.lead.token))).toMatchObject({
      dueAt: early,
      effectiveDueAt: early,
    });
    const deadline = s.opportunity.submissionDeadline?.toISOString();
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, dueAt: deadline } }, s.lead.token))).toMatchObject({
      dueAt: deadline,
    });
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, dueAt: null } }, s.lead.token))).toMatchObject({
      dueAt: null,
      effectiveDueAt: deadline,
    });
  });

  it('should refuse a due date after the submission deadline', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const late = new Date((s.opportunity.submissionDeadline?.getTime() ?? 0) + 1000).toISOString();
    await expectRejected(
      UPDATE,
      { sectionId: sectionId(at(response.sections, 0).id), dueAt: late },
      s.lead.token,
      'DUE_AFTER_DEADLINE',
      'input.dueAt',
    );
    await expectRejected(
      ADD,
      { responseId: responseId(response.id), kind: 'CVS', dueAt: late },
      s.lead.token,
      'DUE_AFTER_DEADLINE',
      'input.dueAt',
    );
  });

  it('should accept any due date when the opportunity has no deadline', async () => {
    const s = await scene({ deadline: null });
    const response = await responseFor(s);
    const due = new Date(Date.now() + 400 * DAY).toISOString();
    const added = success(
      await mutate(t, ADD, { input: { responseId: responseId(response.id), kind: 'CVS', dueAt: due } }, s.lead.token),
    );
    expect(added).toMatchObject({ dueAt: due, effectiveDueAt: due });
    const undated = success(
      await mutate(t, ADD, { input: { responseId: responseId(response.id), kind: 'PLANNING' } }, s.lead.token),
    );
    expect(undated).toMatchObject({ dueAt: null, effectiveDueAt: null });
  });
});

describe('Limits', () => {
  it('should accept a word limit, a character limit, or both, and flag a section over either', async () => {
    const s = await scene();
    const response = await responseFor(s, [{ wordCount: 120, characterCount: 800 }]);
    const id = sectionId(at(response.sections, 0).id);
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, wordLimit: 150 } }, s.lead.token))).toMatchObject({
      wordLimit: 150,
      characterLimit: null,
      isOverLimit: false,
    });
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, characterLimit: 700 } }, s.lead.token))).toMatchObject({
      wordLimit: 150,
      characterLimit: 700,
      isOverLimit: true,
    });
    expect(
      success(await mutate(t, UPDATE, { input: { sectionId: id, characterLimit: null, wordLimit: 100 } }, s.lead.token)),
    ).toMatchObject({
      wordLimit: 100,
      characterLimit: null,
      isOverLimit: true,
    });
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, wordLimit: null } }, s.lead.token))).toMatchObject({
      isOverLimit: false,
    });
  });

  it('should refuse a limit that is not positive, or past its bound', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const id = sectionId(at(response.sections, 0).id);
    await expectRejected(UPDATE, { sectionId: id, wordLimit: 0 }, s.lead.token, 'TOO_SMALL', 'input.wordLimit');
    await expectRejected(UPDATE, { sectionId: id, characterLimit: -5 }, s.lead.token, 'TOO_SMALL', 'input.characterLimit');
    await expectRejected(
      ADD,
      { responseId: responseId(response.id), kind: 'CVS', wordLimit: 0 },
      s.lead.token,
      'TOO_SMALL',
      'input.wordLimit',
    );
    // At most 200 000 words and 1 000 000 characters (server/src/limits/numbers.ts).
    await expectRejected(UPDATE, { sectionId: id, wordLimit: 200_001 }, s.lead.token, 'TOO_LARGE', 'input.wordLimit');
    await expectRejected(
      UPDATE,
      { sectionId: id, characterLimit: 2 ** 31 - 1 },
      s.lead.token,
      'TOO_LARGE',
      'input.characterLimit',
    );
  });
});

describe('Status', () => {
  const STATUSES: SectionStatus[] = ['TODO', 'DRAFT', 'REVIEW', 'DONE'];
  const LEGAL = new Set(['TODO→DRAFT', 'DRAFT→REVIEW', 'REVIEW→DONE', 'REVIEW→DRAFT', 'DONE→DRAFT']);
  const table = STATUSES.flatMap((from) => STATUSES.map((to) => ({ from, to, legal: LEGAL.has(`${from}→${to}`) })));

  it.each(table)('should $from → $to: legal $legal', async ({ from, to, legal }) => {
    const s = await scene();
    // The actor reviews the section, so that only the transition itself decides.
    const response = await responseFor(s, [{ status: from, reviewerId: s.lead.id }]);
    const input = { sectionId: sectionId(at(response.sections, 0).id), status: to };
    if (!legal) {
      await expectRejected(STATUS, input, s.lead.token, 'INVALID_STATUS_CHANGE', 'input.status');
      return;
    }
    expect(success(await mutate(t, STATUS, { input }, s.lead.token))).toMatchObject({ status: to });
    expect(await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: at(response.sections, 0).id } })).toMatchObject({
      status: to,
    });
    expect(await lastEvent()).toMatchObject({
      type: 'tenderSection.statusChanged',
      subjectId: input.sectionId,
      payload: expect.objectContaining({ status: to, from }),
    });
  });

  it('should send a section to review only with a reviewer', async () => {
    const s = await scene();
    const response = await responseFor(s, [{ status: 'DRAFT' }]);
    await expectRejected(
      STATUS,
      { sectionId: sectionId(at(response.sections, 0).id), status: 'REVIEW' },
      s.lead.token,
      'REVIEWER_REQUIRED',
      'input.status',
    );
  });

  it('should let only the reviewer mark a section done', async () => {
    const s = await scene();
    const response = await responseFor(s, [{ status: 'REVIEW', reviewerId: s.partner.id, assigneeId: s.colleague.id }]);
    const input = { sectionId: sectionId(at(response.sections, 0).id), status: 'DONE' };
    for (const who of [s.lead, s.colleague]) {
      await expectRejected(STATUS, input, who.token, 'ONLY_REVIEWER_COMPLETES', 'input.status');
    }
    expect(success(await mutate(t, STATUS, { input }, s.partner.token))).toMatchObject({ status: 'DONE' });
    // Anyone working on the response may ask for changes or reopen.
    expect(success(await mutate(t, STATUS, { input: { ...input, status: 'DRAFT' } }, s.colleague.token))).toMatchObject({
      status: 'DRAFT',
    });
  });
});

describe('Submitted', () => {
  async function expectReadOnly(s: Scene, response: Awaited<ReturnType<typeof responseFor>>) {
    const id = sectionId(at(response.sections, 0).id);
    const field = 'input.sectionId';
    await expectRejected(
      UPDATE_RESPONSE,
      { responseId: responseId(response.id), title: 'Autre' },
      s.lead.token,
      'SUBMITTED_READ_ONLY',
      'input.responseId',
    );
    await expectRejected(
      ADD,
      { responseId: responseId(response.id), kind: 'CVS' },
      s.lead.token,
      'SUBMITTED_READ_ONLY',
      'input.responseId',
    );
    await expectRejected(UPDATE, { sectionId: id, title: 'Autre' }, s.lead.token, 'SUBMITTED_READ_ONLY', field);
    await expectRejected(MOVE, { sectionId: id, position: 2 }, s.lead.token, 'SUBMITTED_READ_ONLY', field);
    await expectRejected(REMOVE, { sectionId: id }, s.lead.token, 'SUBMITTED_READ_ONLY', field);
    await expectRejected(STATUS, { sectionId: id, status: 'DRAFT' }, s.lead.token, 'SUBMITTED_READ_ONLY', field);
  }

  it('should make a submitted response read-only', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}, {}]);
    await t.db.prisma.tenderResponse.update({ where: { id: response.id }, data: { submittedAt: new Date() } });
    await expectReadOnly(s, response);
    expect(await node(responseId(response.id), s.lead.token)).toMatchObject({ isSubmitted: true });
  });

  it.each(['SUBMITTED', 'WON', 'LOST', 'UNSUCCESSFUL', 'ABANDONED'] as const)(
    'should make the response read-only once its deal is %s',
    async (status) => {
      const s = await scene();
      const response = await responseFor(s, [{}, {}]);
      await t.db.prisma.deal.update({ where: { id: s.deal.id }, data: { status } });
      await expectReadOnly(s, response);
      expect(await node(responseId(response.id), s.lead.token)).toMatchObject({ isSubmitted: true, submittedAt: null });
    },
  );
});

describe('Authorization', () => {
  async function sees(s: Scene, who: Person, responseIds: string[]) {
    const response = await t.gql(LISTS, { collectiveId: gid('Collective', s.collective.id), slug: s.collective.slug }, who.token);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const ids = (connection: Json) => connection.edges.map((edge: Json) => edge.node.id).sort();
    expect(ids(response.data?.tenderResponses)).toEqual(responseIds.map(responseId).sort());
    expect(response.data?.tenderResponses.totalCount).toBe(responseIds.length);
    expect(ids(response.data?.collective.tenderResponses)).toEqual(responseIds.map(responseId).sort());
    expect(response.data?.collective.tenderResponses.totalCount).toBe(responseIds.length);
  }

  async function callResponse(s: Scene) {
    const call = await t.db.prisma.opportunity.create({ data: { kind: 'CALL_FOR_PROJECTS', title: 'AAP', buyer: 'Région' } });
    return t.db.prisma.tenderResponse.create({ data: { collectiveId: s.collective.id, opportunityId: call.id, title: 'AAP' } });
  }

  it("should let the collective's members read and change every response of the collective", async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const call = await callResponse(s);
    await sees(s, s.colleague, [response.id, call.id]);
    expect(await node(responseId(response.id), s.colleague.token)).toMatchObject({
      id: responseId(response.id),
      sections: [{ title: 'Section 1' }],
    });
    expect(await node(sectionId(at(response.sections, 0).id), s.colleague.token)).toMatchObject({ title: 'Section 1' });
    success(
      await mutate(
        t,
        UPDATE,
        { input: { sectionId: sectionId(at(response.sections, 0).id), title: 'Par un collègue' } },
        s.colleague.token,
      ),
    );
  });

  it("should let the deal's external member-partner read and change the deal's response only", async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const call = await callResponse(s);
    await sees(s, s.partner, [response.id]);
    expect(await node(responseId(call.id), s.partner.token)).toBeNull();
    const filtered = await t.gql(LISTS, { dealId: gid('Deal', s.deal.id), slug: s.collective.slug }, s.partner.token);
    expect(filtered.data?.tenderResponses.edges).toEqual([{ node: { id: responseId(response.id) } }]);
    const viaDeal = await t.gql(
      'query($id: ID!) { node(id: $id) { ... on Deal { tenderResponse { id } } } }',
      { id: gid('Deal', s.deal.id) },
      s.partner.token,
    );
    expect(viaDeal).toEqual({ data: { node: { tenderResponse: { id: responseId(response.id) } } } });
    success(await mutate(t, ADD, { input: { responseId: responseId(response.id), kind: 'CVS' } }, s.partner.token));
    success(
      await mutate(
        t,
        UPDATE,
        { input: { sectionId: sectionId(at(response.sections, 0).id), title: 'Par le partenaire' } },
        s.partner.token,
      ),
    );
  });

  it('should stop a substituted partner from reading or changing the response', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    await t.db.prisma.dealPartner.update({ where: { id: s.memberPartner.id }, data: { status: 'SUBSTITUTED' } });
    await sees(s, s.partner, []);
    await expectNotFound(
      UPDATE,
      { sectionId: sectionId(at(response.sections, 0).id), title: 'Non' },
      s.partner.token,
      'input.sectionId',
    );
  });

  it('should let the support staff read every response but change nothing', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}, {}]);
    const call = await callResponse(s);
    await sees(s, s.staff, [response.id, call.id]);
    expect(await node(sectionId(at(response.sections, 0).id), s.staff.token)).toMatchObject({ title: 'Section 1' });
    const section = sectionId(at(response.sections, 0).id);
    await expectForbiddenChange(UPDATE_RESPONSE, { responseId: responseId(response.id), title: 'Non' }, s.staff.token);
    await expectForbiddenChange(ADD, { responseId: responseId(response.id), kind: 'CVS' }, s.staff.token);
    await expectForbiddenChange(UPDATE, { sectionId: section, title: 'Non' }, s.staff.token);
    await expectForbiddenChange(MOVE, { sectionId: section, position: 2 }, s.staff.token);
    await expectForbiddenChange(REMOVE, { sectionId: section }, s.staff.token);
    await expectForbiddenChange(STATUS, { sectionId: section, status: 'DRAFT' }, s.staff.token);
  });

  it('should hide everything from an outsider: null nodes, no rows, not-found changes', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}, {}]);
    await callResponse(s);
    await sees(s, s.outsider, []);
    expect(await node(responseId(response.id), s.outsider.token)).toBeNull();
    expect(await node(sectionId(at(response.sections, 0).id), s.outsider.token)).toBeNull();
    const section = sectionId(at(response.sections, 0).id);
    await expectNotFound(
      UPDATE_RESPONSE,
      { responseId: responseId(response.id), title: 'Non' },
      s.outsider.token,
      'input.responseId',
    );
    await expectNotFound(ADD, { responseId: responseId(response.id), kind: 'CVS' }, s.outsider.token, 'input.responseId');
    await expectNotFound(UPDATE, { sectionId: section, title: 'Non' }, s.outsider.token, 'input.sectionId');
    await expectNotFound(MOVE, { sectionId: section, position: 2 }, s.outsider.token, 'input.sectionId');
    await expectNotFound(REMOVE, { sectionId: section }, s.outsider.token, 'input.sectionId');
    await expectNotFound(STATUS, { sectionId: section, status: 'DRAFT' }, s.outsider.token, 'input.sectionId');
  });

  it('should answer not-found for IDs that name nothing or the wrong type', async () => {
    const s = await scene();
    await expectNotFound(UPDATE, { sectionId: sectionId(randomUUID()), title: 'Non' }, s.lead.token, 'input.sectionId');
    await expectNotFound(
      UPDATE,
      { sectionId: gid('Collective', s.collective.id), title: 'Non' },
      s.lead.token,
      'input.sectionId',
    );
    await expectNotFound(ADD, { responseId: responseId(randomUUID()), kind: 'CVS' }, s.lead.token, 'input.responseId');
  });
});

describe('Restricted sections', () => {
  /** A response whose second section is restricted to the member-partner's part. */
  async function restricted(s: Scene) {
    return responseFor(s, [
      { title: 'Commun', status: 'DONE' },
      {
        title: 'Prix du partenaire',
        restricted: true,
        ownerPartnerId: s.memberPartner.id,
        status: 'REVIEW',
        reviewerId: s.lead.id,
      },
    ]);
  }

  it("should show a restricted section to its owner partner's member, the lead's member and the support staff only", async () => {
    const s = await scene();
    const response = await restricted(s);
    const hidden = sectionId(at(response.sections, 1).id);
    for (const who of [s.partner, s.lead, s.staff]) {
      const seen = await node(responseId(response.id), who.token);
      expect(seen.sections.map((section: Json) => section.title)).toEqual(['Commun', 'Prix du partenaire']);
      expect(seen.checklist).toEqual({ total: 2, done: 1, inReview: 1, overLimit: 0, progress: 0.5 });
      expect(await node(hidden, who.token)).toMatchObject({ id: hidden, restricted: true });
    }
    const colleagueView = await node(responseId(response.id), s.colleague.token);
    expect(colleagueView.sections.map((section: Json) => section.title)).toEqual(['Commun']);
    expect(colleagueView.checklist).toEqual({ total: 1, done: 1, inReview: 0, overLimit: 0, progress: 1 });
    expect(await node(hidden, s.colleague.token)).toBeNull();
    await expectNotFound(UPDATE, { sectionId: hidden, title: 'Vu' }, s.colleague.token, 'input.sectionId');
    await expectNotFound(STATUS, { sectionId: hidden, status: 'DRAFT' }, s.colleague.token, 'input.sectionId');
    success(await mutate(t, UPDATE, { input: { sectionId: hidden, title: 'Prix détaillés' } }, s.partner.token));
  });

  it('should let the lead restrict a section to a partner, and lift it', async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const id = sectionId(at(response.sections, 0).id);
    const owner = gid('DealPartner', s.memberPartner.id);
    expect(
      success(await mutate(t, UPDATE, { input: { sectionId: id, restricted: true, ownerPartnerId: owner } }, s.lead.token)),
    ).toMatchObject({
      restricted: true,
      ownerPartner: { id: owner },
    });
    expect(await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: at(response.sections, 0).id } })).toMatchObject({
      restricted: true,
      ownerPartnerId: s.memberPartner.id,
    });
    expect(await node(id, s.colleague.token)).toBeNull();
    expect(success(await mutate(t, UPDATE, { input: { sectionId: id, restricted: false } }, s.partner.token))).toMatchObject({
      restricted: false,
    });
    expect(await node(id, s.colleague.token)).toMatchObject({ restricted: false });
  });

  it('should refuse a restricted section without its owner partner', async () => {
    const s = await scene();
    const response = await restricted(s);
    await expectRejected(
      ADD,
      { responseId: responseId(response.id), kind: 'PRICE_SCHEDULE', restricted: true },
      s.lead.token,
      'OWNER_REQUIRED',
      'input.ownerPartnerId',
    );
    await expectRejected(
      UPDATE,
      { sectionId: sectionId(at(response.sections, 1).id), ownerPartnerId: null },
      s.lead.token,
      'OWNER_REQUIRED',
      'input.ownerPartnerId',
    );
  });

  it("should refuse an owner who is not an active partner of the response's deal", async () => {
    const s = await scene();
    const other = await scene();
    const response = await responseFor(s, [{}]);
    const id = sectionId(at(response.sections, 0).id);
    const substituted = await t.db.prisma.dealPartner.create({
      data: { dealId: s.deal.id, companyName: 'Ancienne SARL', status: 'SUBSTITUTED' },
    });
    for (const partner of [other.memberPartner.id, substituted.id, randomUUID()]) {
      await expectRejected(
        UPDATE,
        { sectionId: id, restricted: true, ownerPartnerId: gid('DealPartner', partner) },
        s.lead.token,
        'NOT_A_DEAL_PARTNER',
        'input.ownerPartnerId',
      );
    }
  });

  it('should refuse an owner partner for a call for projects response, which has no deal', async () => {
    const s = await scene();
    const call = await t.db.prisma.opportunity.create({ data: { kind: 'CALL_FOR_PROJECTS', title: 'AAP', buyer: 'Région' } });
    const response = await t.db.prisma.tenderResponse.create({
      data: { collectiveId: s.collective.id, opportunityId: call.id, title: 'AAP' },
    });
    await expectRejected(
      ADD,
      {
        responseId: responseId(response.id),
        kind: 'BUDGET',
        restricted: true,
        ownerPartnerId: gid('DealPartner', s.memberPartner.id),
      },
      s.lead.token,
      'NOT_A_DEAL_PARTNER',
      'input.ownerPartnerId',
    );
  });

  it("should let only the owner partner's member or the lead's member restrict a section", async () => {
    const s = await scene();
    const response = await responseFor(s, [{}]);
    const input = {
      sectionId: sectionId(at(response.sections, 0).id),
      restricted: true,
      ownerPartnerId: gid('DealPartner', s.memberPartner.id),
    };
    await expectRejected(UPDATE, input, s.colleague.token, 'RESTRICTED_BY_OWNER_OR_LEAD', 'input.restricted');
    // The company partner has no member: only the lead may restrict its part.
    await expectRejected(
      UPDATE,
      { ...input, ownerPartnerId: gid('DealPartner', s.company.id) },
      s.partner.token,
      'RESTRICTED_BY_OWNER_OR_LEAD',
      'input.restricted',
    );
    success(await mutate(t, UPDATE, { input }, s.partner.token));
  });

  it('should refuse to give a restricted section to someone who may not open it', async () => {
    const s = await scene();
    const response = await restricted(s);
    const id = sectionId(at(response.sections, 1).id);
    await expectRejected(
      UPDATE,
      { sectionId: id, assigneeId: gid('Member', s.colleague.id) },
      s.lead.token,
      'RESTRICTED_CONTRIBUTOR',
      'input.assigneeId',
    );
    await expectRejected(
      UPDATE,
      { sectionId: id, reviewerId: gid('Member', s.colleague.id) },
      s.lead.token,
      'RESTRICTED_CONTRIBUTOR',
      'input.reviewerId',
    );
    const plain = await t.db.prisma.tenderSection.create({
      data: { responseId: response.id, kind: 'FREE', title: 'Assignée', position: 3, assigneeId: s.colleague.id },
    });
    await expectRejected(
      UPDATE,
      { sectionId: sectionId(plain.id), restricted: true, ownerPartnerId: gid('DealPartner', s.memberPartner.id) },
      s.lead.token,
      'RESTRICTED_CONTRIBUTOR',
      'input.restricted',
    );
    success(
      await mutate(
        t,
        UPDATE,
        { input: { sectionId: id, assigneeId: gid('Member', s.partner.id), reviewerId: gid('Member', s.lead.id) } },
        s.lead.token,
      ),
    );
  });
});

describe('A restricted section whose owner partner leaves the deal', () => {
  const SET_PARTNERS = /* GraphQL */ `
    mutation($input: SetDealPartnersInput!) { result: setDealPartners(input: $input) { __typename ...Failure } }
    ${FAILURE}
  `;
  const SUBSTITUTE = /* GraphQL */ `
    mutation($input: SubstituteDealPartnerInput!) { result: substituteDealPartner(input: $input) { __typename ...Failure } }
    ${FAILURE}
  `;

  /** Every row a partner change may touch: the tender rows and the deals' partners. */
  const partnerRows = () => Promise.all([tenderSnapshot(), t.db.prisma.dealPartner.findMany({ orderBy: { id: 'asc' } })]);

  /** `setDealPartners` with `input` as `token`, refused `rule` on `input.partners`, every row unchanged. */
  async function expectPartnersRefused(input: Record<string, unknown>, token: string, rule: string) {
    const before = await partnerRows();
    expectRefusal(await mutate(t, SET_PARTNERS, { input }, token), rule, 'input.partners');
    expect(await partnerRows()).toEqual(before);
  }

  /** The scene's response, its second section restricted to the member-partner (in review by the lead). */
  async function ownedByPartner(s: Scene) {
    const response = await responseFor(s, [
      { title: 'Commun' },
      {
        title: 'Prix du partenaire',
        restricted: true,
        ownerPartnerId: s.memberPartner.id,
        status: 'REVIEW',
        assigneeId: s.partner.id,
        reviewerId: s.lead.id,
      },
    ]);
    return { id: at(response.sections, 1).id, gid: sectionId(at(response.sections, 1).id) };
  }

  /** The scene's deal without its member-partner: the lead and the company, 60 / 40. */
  function withoutMemberPartner(s: Scene, groupForm: 'JOINT' | 'NONE', lead: boolean) {
    return {
      dealId: gid('Deal', s.deal.id),
      groupForm,
      totalAmountCents: 100_000,
      partners: [
        {
          memberId: gid('Member', s.lead.id),
          isLead: lead,
          amountCents: 60_000,
          shareBasisPoints: 6_000,
          scopeOfWork: 'Conception',
        },
        {
          companyName: 'Atelier Numérique SARL',
          siret: '73282932000074',
          amountCents: 40_000,
          shareBasisPoints: 4_000,
          scopeOfWork: 'Intégration',
        },
      ],
    };
  }

  it('should pass to the lead partner when the partner list drops its owner, and stay open to changes', async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    const result = await mutate(t, SET_PARTNERS, { input: withoutMemberPartner(s, 'JOINT', true) }, s.lead.token);
    expect(result, JSON.stringify(result)).toMatchObject({ __typename: 'MutationSetDealPartnersSuccess' });
    // Before: the owner's row was deleted and the section kept no owner, so every later change was refused OWNER_REQUIRED.
    expect(await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } })).toMatchObject({
      restricted: true,
      ownerPartnerId: s.leadPartner.id,
    });
    expect(
      success(await mutate(t, UPDATE, { input: { sectionId: section.gid, title: 'Prix repris' } }, s.lead.token)),
    ).toMatchObject({
      title: 'Prix repris',
      restricted: true,
      ownerPartner: { id: gid('DealPartner', s.leadPartner.id) },
    });
    // Nobody gained it: the dropped partner and the collective's other members still cannot read it.
    for (const who of [s.partner, s.colleague]) expect(await node(section.gid, who.token)).toBeNull();
  });

  it('should pass to the lead partner, not to the replacement, when its owner is substituted', async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    await submitted(s);
    const result = await mutate(
      t,
      SUBSTITUTE,
      {
        input: {
          dealId: gid('Deal', s.deal.id),
          partnerId: gid('DealPartner', s.memberPartner.id),
          replacement: { memberId: gid('Member', s.outsider.id), scopeOfWork: 'Chiffrage' },
          reason: 'Cessation d’activité',
        },
      },
      s.lead.token,
    );
    expect(result, JSON.stringify(result)).toMatchObject({ __typename: 'MutationSubstituteDealPartnerSuccess' });
    expect(await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } })).toMatchObject({
      restricted: true,
      ownerPartnerId: s.leadPartner.id,
    });
    // The replacement is another company: the part its predecessor wrote stays between the lead and the staff.
    for (const who of [s.partner, s.outsider, s.colleague]) expect(await node(section.gid, who.token)).toBeNull();
    expect(await node(section.gid, s.lead.token)).toMatchObject({ restricted: true });
  });

  it('should refuse to drop its owner from a deal with no lead to take it, changing nothing', async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    await t.db.prisma.dealPartner.update({ where: { id: s.leadPartner.id }, data: { isLead: false } });
    await t.db.prisma.deal.update({ where: { id: s.deal.id }, data: { groupForm: 'NONE' } });
    await expectPartnersRefused(withoutMemberPartner(s, 'NONE', false), s.lead.token, 'RESTRICTED_SECTIONS_NEED_LEAD');
    // Lifted first (by its owner: without a lead, nobody else opens it), the same change goes through.
    success(await mutate(t, UPDATE, { input: { sectionId: section.gid, restricted: false } }, s.partner.token));
    const retried = await mutate(t, SET_PARTNERS, { input: withoutMemberPartner(s, 'NONE', false) }, s.lead.token);
    expect(retried, JSON.stringify(retried)).toMatchObject({ __typename: 'MutationSetDealPartnersSuccess' });
  });

  /** A partner list for the scene's deal (JOINT, 100 000 cents shared as given): members by ID, `company` the SARL. */
  function partnersOf(s: Scene, parties: Array<{ member?: string; share: number; lead?: boolean }>) {
    return {
      dealId: gid('Deal', s.deal.id),
      groupForm: 'JOINT',
      totalAmountCents: 100_000,
      partners: parties.map(({ member, share, lead }) => ({
        ...(member ? { memberId: gid('Member', member) } : { companyName: 'Atelier Numérique SARL', siret: '73282932000074' }),
        isLead: lead ?? false,
        amountCents: share * 10,
        shareBasisPoints: share,
        scopeOfWork: 'Lot',
      })),
    };
  }

  /** The scene's deal submitted, its three partners with the terms a substitution checks (a third each). */
  async function submitted(s: Scene) {
    await t.db.prisma.deal.update({
      where: { id: s.deal.id },
      data: { status: 'SUBMITTED', submittedAt: new Date(), totalAmountCents: 90_000 },
    });
    for (const partner of [s.leadPartner, s.memberPartner, s.company])
      await t.db.prisma.dealPartner.update({
        where: { id: partner.id },
        data: {
          scopeOfWork: 'Lot',
          amountCents: 30_000,
          shareBasisPoints: partner === s.leadPartner ? 3_334 : 3_333,
          ...(partner === s.company ? { siret: '73282932000074' } : {}),
        },
      });
  }

  /** Substitutes the scene's lead partner by `newcomer` (a member), as `token`. */
  function substituteLead(s: Scene, newcomer: string, token: string) {
    const input = {
      dealId: gid('Deal', s.deal.id),
      partnerId: gid('DealPartner', s.leadPartner.id),
      replacement: { memberId: gid('Member', newcomer), scopeOfWork: 'Pilotage' },
      reason: 'Cessation d’activité',
    };
    return mutate(t, SUBSTITUTE, { input }, token);
  }

  it("should let only the lead's member name another member lead, who then reads every restricted section", async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    const before = await partnerRows();
    // A colleague who is no partner names themself lead (attack F1: they then read the partner's price).
    const takeover = partnersOf(s, [{ member: s.colleague.id, share: 6_000, lead: true }, { share: 4_000 }]);
    expectRefusal(await mutate(t, SET_PARTNERS, { input: takeover }, s.colleague.token), 'LEAD_CHANGE_BY_LEAD', 'input.partners');
    const kept = partnersOf(s, [
      { member: s.lead.id, share: 4_000 },
      { member: s.partner.id, share: 2_000 },
      { member: s.colleague.id, share: 2_000, lead: true },
      { share: 2_000 },
    ]);
    expectRefusal(await mutate(t, SET_PARTNERS, { input: kept }, s.colleague.token), 'LEAD_CHANGE_BY_LEAD', 'input.partners');
    expect(await partnerRows()).toEqual(before);
    expect(await node(section.gid, s.colleague.token)).toBeNull();
    // The lead hands the role over themself.
    const handed = await mutate(t, SET_PARTNERS, { input: kept }, s.lead.token);
    expect(handed, JSON.stringify(handed)).toMatchObject({ __typename: 'MutationSetDealPartnersSuccess' });
    expect(await node(section.gid, s.colleague.token)).toMatchObject({ restricted: true });
    // The former lead reviewed it and can no longer open it: the new lead's member reviews it now.
    expect(await node(section.gid, s.lead.token)).toBeNull();
    expect(await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } })).toMatchObject({
      ownerPartnerId: s.memberPartner.id,
      assigneeId: s.partner.id,
      reviewerId: s.colleague.id,
    });
  });

  it('should hand its assignee and reviewer roles to the lead when they can no longer open it, and let the lead give it back', async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    const without = partnersOf(s, [{ member: s.lead.id, share: 6_000, lead: true }, { share: 4_000 }]);
    success(await mutate(t, SET_PARTNERS, { input: without }, s.lead.token));
    // The dropped member was its assignee (RESTRICTED_CONTRIBUTOR: whoever works on it opens it).
    expect(await t.db.prisma.tenderSection.findUniqueOrThrow({ where: { id: section.id } })).toMatchObject({
      ownerPartnerId: s.leadPartner.id,
      assigneeId: s.lead.id,
      reviewerId: s.lead.id,
    });
    // The partner comes back (a new partner row): the lead gives them their section again.
    const back = partnersOf(s, [
      { member: s.lead.id, share: 5_000, lead: true },
      { member: s.partner.id, share: 3_000 },
      { share: 2_000 },
    ]);
    success(await mutate(t, SET_PARTNERS, { input: back }, s.lead.token));
    expect(await node(section.gid, s.partner.token)).toBeNull();
    const returned = await t.db.prisma.dealPartner.findFirstOrThrow({ where: { dealId: s.deal.id, memberId: s.partner.id } });
    success(
      await mutate(
        t,
        UPDATE,
        {
          input: {
            sectionId: section.gid,
            ownerPartnerId: gid('DealPartner', returned.id),
            assigneeId: gid('Member', s.partner.id),
          },
        },
        s.lead.token,
      ),
    );
    expect(await node(section.gid, s.partner.token)).toMatchObject({
      restricted: true,
      assignee: { id: gid('Member', s.partner.id) },
    });
  });

  it('should refuse to drop its owner when the lead is a company, which no member opens it for', async () => {
    const s = await scene();
    await ownedByPartner(s);
    await t.db.prisma.dealPartner.update({ where: { id: s.leadPartner.id }, data: { isLead: false } });
    await t.db.prisma.dealPartner.update({ where: { id: s.company.id }, data: { isLead: true, siret: '73282932000074' } });
    const input = partnersOf(s, [
      { member: s.lead.id, share: 6_000 },
      { share: 4_000, lead: true },
    ]);
    await expectPartnersRefused(input, s.lead.token, 'RESTRICTED_SECTIONS_NEED_LEAD');
  });

  it("should refuse a colleague naming a company lead, which would take every restricted section from the lead's member", async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    await t.db.prisma.dealPartner.update({ where: { id: s.company.id }, data: { siret: '73282932000074' } });
    const input = partnersOf(s, [
      { member: s.lead.id, share: 5_000 },
      { member: s.partner.id, share: 3_000 },
      { share: 2_000, lead: true },
    ]);
    await expectPartnersRefused(input, s.colleague.token, 'LEAD_CHANGE_BY_LEAD');
    expect(await node(section.gid, s.lead.token)).toMatchObject({ restricted: true });
    // The lead's member may step back: the owner still opens their section.
    success(await mutate(t, SET_PARTNERS, { input }, s.lead.token));
    expect(await node(section.gid, s.partner.token)).toMatchObject({ restricted: true });
    expect(await node(section.gid, s.lead.token)).toBeNull();
  });

  it('should refuse a company lead when a restricted section owned by a company would be left to no member', async () => {
    const s = await scene();
    await t.db.prisma.dealPartner.update({ where: { id: s.company.id }, data: { siret: '73282932000074' } });
    await responseFor(s, [
      {
        title: 'Prix de la SARL',
        restricted: true,
        ownerPartnerId: s.company.id,
        status: 'REVIEW',
        assigneeId: s.lead.id,
        reviewerId: s.lead.id,
      },
    ]);
    const input = partnersOf(s, [
      { member: s.lead.id, share: 5_000 },
      { member: s.partner.id, share: 3_000 },
      { share: 2_000, lead: true },
    ]);
    await expectPartnersRefused(input, s.lead.token, 'RESTRICTED_SECTIONS_NEED_LEAD');
  });

  it('should ask a lead from outside the collective to lift their restrictions before the collective changes the lead', async () => {
    const s = await scene();
    await t.db.prisma.dealPartner.update({ where: { id: s.leadPartner.id }, data: { isLead: false } });
    await t.db.prisma.dealPartner.update({ where: { id: s.memberPartner.id }, data: { isLead: true } });
    await t.db.prisma.dealPartner.update({ where: { id: s.company.id }, data: { siret: '73282932000074' } });
    const response = await responseFor(s, [
      { title: 'Prix du mandataire', restricted: true, ownerPartnerId: s.memberPartner.id },
    ]);
    const input = partnersOf(s, [
      { member: s.lead.id, share: 4_000, lead: true },
      { member: s.partner.id, share: 4_000 },
      { share: 2_000 },
    ]);
    // The outside lead may not change the deal (only the collective's members do), and no one else may take the
    // sections it reads: refused, typed, until they are no longer restricted (attack 3: confidentiality first).
    expectForbidden(await mutate(t, SET_PARTNERS, { input }, s.partner.token));
    expectRefusal(await mutate(t, SET_PARTNERS, { input }, s.colleague.token), 'LEAD_CHANGE_BY_LEAD', 'input.partners');
    const id = sectionId(at(response.sections, 0).id);
    success(await mutate(t, UPDATE, { input: { sectionId: id, restricted: false } }, s.partner.token));
    success(await mutate(t, SET_PARTNERS, { input }, s.colleague.token));
    expect(await t.db.prisma.dealPartner.findFirstOrThrow({ where: { dealId: s.deal.id, isLead: true } })).toMatchObject({
      memberId: s.lead.id,
    });
  });

  it("should let only the lead's member substitute the lead by a member, or anyone once that member has left", async () => {
    const s = await scene();
    const section = await ownedByPartner(s);
    await submitted(s);
    // A colleague substitutes the lead by themself (attack F2: the new lead reads every restricted section).
    expectRefusal(
      await substituteLead(s, s.colleague.id, s.colleague.token),
      'LEAD_CHANGE_BY_LEAD',
      'input.replacement.memberId',
    );
    expect(await node(section.gid, s.colleague.token)).toBeNull();
    // The lead's member has left the cooperative: nobody else could hand the role over.
    await t.db.prisma.member.update({ where: { id: s.lead.id }, data: { situation: 'LEFT', leftCooperativeOn: new Date() } });
    const result = await substituteLead(s, s.colleague.id, s.colleague.token);
    expect(result, JSON.stringify(result)).toMatchObject({ __typename: 'MutationSubstituteDealPartnerSuccess' });
    expect(await node(section.gid, s.colleague.token)).toMatchObject({ restricted: true });
  });
});

describe('Checklist', () => {
  it('should count sections done, in review and over their limit, and the progress', async () => {
    const s = await scene();
    const response = await responseFor(s, [
      { status: 'DONE' },
      { status: 'DONE', wordLimit: 10, wordCount: 11 },
      { status: 'REVIEW', reviewerId: s.lead.id, characterLimit: 100, characterCount: 100 },
      { status: 'DRAFT', characterLimit: 100, characterCount: 101 },
      { status: 'TODO' },
    ]);
    expect((await node(responseId(response.id), s.lead.token)).checklist).toEqual({
      total: 5,
      done: 2,
      inReview: 1,
      overLimit: 2,
      progress: 0.4,
    });
    await mutate(t, STATUS, { input: { sectionId: sectionId(at(response.sections, 2).id), status: 'DONE' } }, s.lead.token);
    expect((await node(responseId(response.id), s.lead.token)).checklist).toEqual({
      total: 5,
      done: 3,
      inReview: 0,
      overLimit: 2,
      progress: 0.6,
    });
  });
});

describe('Assigned to me', () => {
  it("should list the viewer's open sections, soonest due first, undated last", async () => {
    const s = await scene();
    const me = s.colleague;
    const deadline = s.opportunity.submissionDeadline as Date;
    const response = await responseFor(s, [
      { title: 'Suit la date limite', assigneeId: me.id },
      { title: 'Bientôt', assigneeId: me.id, dueAt: new Date(deadline.getTime() - 20 * DAY), status: 'DRAFT' },
      { title: 'Fini', assigneeId: me.id, dueAt: new Date(deadline.getTime() - 25 * DAY), status: 'DONE' },
      { title: 'Pas à moi', assigneeId: s.lead.id, dueAt: new Date(deadline.getTime() - 25 * DAY) },
      {
        title: 'Plus tard',
        assigneeId: me.id,
        dueAt: new Date(deadline.getTime() - 5 * DAY),
        status: 'REVIEW',
        reviewerId: s.lead.id,
      },
    ]);
    const undatedCall = await t.db.prisma.opportunity.create({
      data: { kind: 'CALL_FOR_PROJECTS', title: 'AAP', buyer: 'Région' },
    });
    await t.db.prisma.tenderResponse.create({
      data: {
        collectiveId: s.collective.id,
        opportunityId: undatedCall.id,
        title: 'AAP',
        sections: { create: [{ kind: 'BUDGET', title: 'Sans date', position: 1, assigneeId: me.id }] },
      },
    });
    const submitted = await t.db.prisma.opportunity.create({
      data: { kind: 'CALL_FOR_PROJECTS', title: 'AAP déposé', buyer: 'État' },
    });
    await t.db.prisma.tenderResponse.create({
      data: {
        collectiveId: s.collective.id,
        opportunityId: submitted.id,
        title: 'Déposé',
        submittedAt: new Date(),
        sections: { create: [{ kind: 'BUDGET', title: 'Déjà déposé', position: 1, assigneeId: me.id }] },
      },
    });
    const result = await t.gql(ASSIGNED, {}, me.token);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data?.sectionsAssignedToMe.map((section: Json) => section.title)).toEqual([
      'Bientôt',
      'Plus tard',
      'Suit la date limite',
      'Sans date',
    ]);
    expect(result.data?.sectionsAssignedToMe[2]).toMatchObject({
      id: sectionId(at(response.sections, 0).id),
      effectiveDueAt: deadline.toISOString(),
    });
  });

  it('should leave out sections the viewer may no longer see', async () => {
    const s = await scene();
    await responseFor(s, [{ title: 'Du partenaire', assigneeId: s.partner.id }]);
    await t.db.prisma.dealPartner.update({ where: { id: s.memberPartner.id }, data: { status: 'SUBSTITUTED' } });
    const result = await t.gql(ASSIGNED, {}, s.partner.token);
    expect(result).toEqual({ data: { sectionsAssignedToMe: [] } });
  });
});

describe('Nested lists', () => {
  // CONVENTIONS 12: count the SQL, so an N+1 shows up as a failing test.
  const statements: string[] = [];
  let counted: TestApp;
  let token: string;

  beforeAll(async () => {
    counted = await createTestApp({ onQuery: (sql) => statements.push(sql) });
    const prisma = counted.db.prisma;
    const viewer = await makeMember(prisma);
    const collective = await makeCollective(prisma, { animatorId: viewer.id });
    for (let i = 0; i < 12; i += 1) {
      const opportunity = await prisma.opportunity.create({
        data: {
          kind: 'CALL_FOR_PROJECTS',
          title: `AAP ${i}`,
          buyer: 'Région',
          submissionDeadline: new Date(Date.now() + 30 * DAY),
        },
      });
      await prisma.tenderResponse.create({
        data: {
          collectiveId: collective.id,
          opportunityId: opportunity.id,
          title: `Réponse ${i}`,
          sections: {
            create: [
              { kind: 'PROJECT_DESCRIPTION', title: 'Description', position: 1, assigneeId: viewer.id, status: 'DONE' },
              { kind: 'BUDGET', title: 'Budget', position: 2, reviewerId: viewer.id, wordLimit: 10, wordCount: 20 },
            ],
          },
        },
      });
    }
    token = await counted.tokenFor(viewer.id);
  });
  afterAll(() => counted.close());

  async function count(first: number) {
    // The session read (or kept, on the embedded database, for 10 s: context.ts) just before: every count sees it alike.
    await counted.gql('{ __typename }', {}, token);
    statements.length = 0;
    const response = await counted.gql(
      /* GraphQL */ `
        query($first: Int!) {
          tenderResponses(first: $first) {
            totalCount
            edges { node { title isSubmitted collective { name } checklist { total done progress }
              sections { title effectiveDueAt isOverLimit assignee { displayName } reviewer { displayName } } } }
          }
        }
      `,
      { first },
      token,
    );
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const edges = response.data?.tenderResponses.edges as Json[];
    return {
      statements: statements.length,
      responses: edges.length,
      sections: edges.flatMap((edge) => edge.node.sections).length,
    };
  }

  it('should load responses with their sections, people and checklists in a fixed, small number of statements', async () => {
    const small = await count(2);
    const large = await count(12);
    expect(large).toMatchObject({ responses: 12, sections: 24 });
    expect(large.statements).toBe(small.statements);
    // Session, viewer's memberships, the page, deal statuses, collectives, sections (shared with the checklist),
    // their responses and opportunities (effective due dates), assignees, reviewers, the count.
    expect(large.statements).toBeLessThanOrEqual(12);
  });
});

describe('Event payloads', () => {
  it('should send every ID in the payloads this suite recorded as a global ID, as subjectId is', async () => {
    await expectGlobalPayloadIds(t);
  });
});
