import { describe, expect, it } from 'vitest';
import { fr } from '../../client/src/i18n/fr.js';
import { eventItemName, eventLabel, SUBJECT_PAGES, subjectPath } from '../../client/src/ui/events.js';
import { EVENT_TYPES, type EventType } from '../../server/src/events/types.js';

// The server's registry of event types against the web app: every type has a French label and its subject a page.
const types = Object.keys(EVENT_TYPES) as EventType[];
const globalId = (typename: string) => Buffer.from(`${typename}:0b0e7a8e-0000-4000-8000-000000000001`).toString('base64');

describe('Event labels', () => {
  it('should list every event type the server records', () => {
    expect(types.length).toBeGreaterThan(60);
  });

  it('should give every event type a French label of its own', () => {
    const missing = types.filter((type) => !Object.hasOwn(fr.events, type) || eventLabel(type) === fr.common.somethingChanged);
    expect(missing).toEqual([]);
    const labels = types.map((type) => eventLabel(type));
    // A label is a sentence, not the raw key, and no two types read the same.
    for (const [index, text] of labels.entries()) expect(text, types[index]).not.toMatch(/^[a-z]+\.[a-zA-Z]+$/);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('should have no label for a type the server does not know', () => {
    expect(Object.keys(fr.events).filter((type) => !Object.hasOwn(EVENT_TYPES, type))).toEqual([]);
  });

  it('should link every event type to a page of its subject', () => {
    for (const type of types) {
      const subject = EVENT_TYPES[type].subject;
      expect(Object.hasOwn(SUBJECT_PAGES, subject), `${type}: no page for ${subject}`).toBe(true);
      const path = subjectPath(globalId(subject));
      expect(path, type).toMatch(/^\/[a-z]+\/[A-Za-z0-9%]+/);
    }
  });

  it('should show an unknown type from a newer server as a neutral change, never as its key', () => {
    expect(eventLabel('thing.happened')).toBe(fr.common.somethingChanged);
    expect(subjectPath('not a global id')).toBeNull();
  });

  it('should name an event’s item from its payload, never a restricted section, and cut a long name', () => {
    expect(eventItemName({ name: 'Vie coopérative', status: 'ACTIVE', openness: 'OPEN' })).toBe('Vie coopérative');
    expect(eventItemName({ title: '  Mémoire\n technique ', responseId: 'x' })).toBe('Mémoire technique');
    expect(eventItemName({ eventName: 'Salon Maison & Objet', venue: 'Paris' })).toBe('Salon Maison & Objet');
    // A section restricted to a partner goes to the others without its title (server/src/events/types.ts).
    expect(eventItemName({ title: null, restricted: true, responseId: 'x' })).toBeNull();
    // Memberships, shifts and status changes carry no name.
    expect(eventItemName({ memberId: 'x', role: 'MEMBER', status: 'ACTIVE' })).toBeNull();
    expect(eventItemName(null)).toBeNull();
    expect(eventItemName('collective')).toBeNull();
    const long = eventItemName({ name: 'a'.repeat(200) });
    expect(long).toHaveLength(80);
    expect(long?.endsWith('…')).toBe(true);
  });
});
