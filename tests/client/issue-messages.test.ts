import { describe, expect, it } from 'vitest';
import { issueMessage, toFormErrors } from '../../client/src/errors.js';
import { fr } from '../../client/src/i18n/fr.js';
import { boundHint, NUMBER_BOUNDS, toInput } from '../../client/src/ui/form/fields.js';

// What the web app says of a value the server refused: what is actually wrong, with the bound crossed.
describe('Input issues in French', () => {
  it('should say a one-letter name is too short, with the minimum, not that it is missing', () => {
    const errors = toFormErrors(
      {
        __typename: 'InputValidationError',
        issues: [{ field: 'input.name', message: 'At least 2 characters.', reason: 'TOO_SHORT', limit: 2 }],
      },
      ['name'],
    );
    expect(errors.fields.name).toBe('Trop court\u00a0: au moins 2\u00a0caractères.');
    expect(errors.fields.name).not.toBe(fr.rules.REQUIRED);
  });

  it('should say too long with the maximum, empty as required, and a bad format as such', () => {
    expect(issueMessage({ field: 'input.purpose', message: '', reason: 'TOO_LONG', limit: 4000 })).toBe(
      'Trop long\u00a0: au plus 4\u202f000\u00a0caractères.',
    );
    expect(issueMessage({ field: 'input.name', message: '', reason: 'REQUIRED', limit: 1 })).toBe(fr.issues.REQUIRED);
    expect(issueMessage({ field: 'input.email', message: '', reason: 'INVALID_FORMAT', limit: null })).toBe(
      fr.issues.INVALID_FORMAT,
    );
    expect(issueMessage({ field: 'input.partners', message: '', reason: 'TOO_MANY', limit: 50 })).toBe(
      'Trop d’éléments\u00a0: au plus 50.',
    );
    // An issue of an unknown kind is never told "required".
    expect(issueMessage({ field: 'input.x', message: 'At least 2 characters.' })).toBe(fr.errors.invalidValue);
  });

  it('should refuse a too short text before sending, and leave an empty one to "required"', () => {
    const fields = [{ name: 'name', label: 'Nom', kind: 'text', required: true, minLength: 2, maxLength: 120 }] as const;
    expect(toInput(fields, { name: ' a ' }).errors).toEqual({ name: fr.issues.TOO_SHORT(2) });
    expect(toInput(fields, { name: '  ' }).errors).toEqual({ name: fr.rules.REQUIRED });
    expect(toInput(fields, { name: 'ab' }).errors).toEqual({});
  });

  it('should say a number is out of its bound with the bound, in euros for amounts and percent for shares', () => {
    expect(issueMessage({ field: 'input.minimumStaff', message: '', reason: 'TOO_LARGE', limit: 100 })).toBe(
      'Trop grand\u00a0: au plus 100.',
    );
    expect(issueMessage({ field: 'input.partners.0.amountCents', message: '', reason: 'TOO_LARGE', limit: 2_000_000_000 })).toBe(
      'Trop grand\u00a0: au plus 20\u202f000\u202f000,00\u00a0€.',
    );
    expect(issueMessage({ field: 'input.holders.1.shareBasisPoints', message: '', reason: 'TOO_SMALL', limit: 1 })).toBe(
      'Trop petit\u00a0: au moins 0,01\u00a0%.',
    );
  });

  it('should refuse a number past the server’s bound before sending, and show a count’s range', () => {
    const staff = [{ name: 'minimumStaff', label: 'Présence', kind: 'int', bound: NUMBER_BOUNDS.shiftStaff }] as const;
    expect(toInput(staff, { minimumStaff: '1000000' }).errors).toEqual({
      minimumStaff: fr.issues.TOO_LARGE('100\u00a0personnes'),
    });
    expect(toInput(staff, { minimumStaff: '0' }).errors).toEqual({ minimumStaff: fr.issues.TOO_SMALL('1\u00a0personne') });
    expect(toInput(staff, { minimumStaff: '100' })).toEqual({ input: { minimumStaff: 100 }, errors: {} });
    expect(boundHint(staff[0])).toBe('De 1\u00a0personne à 100\u00a0personnes.');
    const amount = [{ name: 'amountCents', label: 'Montant', kind: 'money', bound: NUMBER_BOUNDS.positiveAmountCents }] as const;
    expect(toInput(amount, { amountCents: '20 000 000,01' }).errors).toEqual({
      amountCents: fr.issues.TOO_LARGE('20\u202f000\u202f000,00\u00a0€'),
    });
    expect(toInput(amount, { amountCents: '20 000 000' }).input).toEqual({ amountCents: 2_000_000_000 });
    expect(boundHint(amount[0])).toBeUndefined();
  });
});
