import { describe, expect, it } from 'vitest';
import { compactSiret, isValidSiren, isValidSiret, luhnValid } from '../../server/src/domain/siret.js';

describe('Luhn', () => {
  it('should accept numbers whose Luhn sum is a multiple of 10', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('0')).toBe(true);
  });

  it('should refuse a wrong key and anything but digits', () => {
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('7992739871a')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });
});

describe('SIREN', () => {
  it('should accept a SIREN with its Luhn key and refuse one without', () => {
    expect(isValidSiren('732829320')).toBe(true);
    expect(isValidSiren('732 829 320')).toBe(true);
    expect(isValidSiren('732829321')).toBe(false);
    expect(isValidSiren('73282932')).toBe(false);
  });
});

describe('SIRET', () => {
  it('should accept 14 digits that pass the Luhn check', () => {
    for (const siret of ['73282932000074', '55208131766522', '54205118000066', '44306184100047']) {
      expect(isValidSiret(siret), siret).toBe(true);
    }
  });

  it('should ignore the spaces, dots and dashes people type', () => {
    expect(compactSiret('732 829 320 00074')).toBe('73282932000074');
    expect(isValidSiret('732 829 320 00074')).toBe(true);
    expect(isValidSiret('732.829.320.00074')).toBe(true);
    expect(isValidSiret('732-829-320-00074')).toBe(true);
  });

  it('should refuse a wrong check digit', () => {
    expect(isValidSiret('73282932000075')).toBe(false);
    expect(isValidSiret('12345678901234')).toBe(false);
  });

  it('should refuse a SIRET whose SIREN part has no valid key, even when the whole passes Luhn', () => {
    // 123456789 fails Luhn; this 14-digit number is built to pass it as a whole.
    expect(luhnValid('12345678900007')).toBe(true);
    expect(isValidSiret('12345678900007')).toBe(false);
  });

  it('should refuse anything but exactly 14 digits', () => {
    for (const siret of ['', '7328293200007', '732829320000740', '7328293200007A', 'abcdefghijklmn']) {
      expect(isValidSiret(siret), siret).toBe(false);
    }
  });

  describe('La Poste', () => {
    it("should accept La Poste's establishments whose digits sum to a multiple of 5, though Luhn fails", () => {
      for (const siret of ['35600000049837', '35600000000001', '35600000000010', '35600000000015']) {
        expect(luhnValid(siret), siret).toBe(false);
        expect(isValidSiret(siret), siret).toBe(true);
      }
    });

    it("should refuse La Poste's establishments whose digits do not sum to a multiple of 5, though Luhn passes", () => {
      for (const siret of ['35600000000014', '35600000000022', '35600000000030']) {
        expect(luhnValid(siret), siret).toBe(true);
        expect(isValidSiret(siret), siret).toBe(false);
      }
    });

    it("should check La Poste's head office, 356 000 000 00048, with the ordinary Luhn key", () => {
      expect([...'35600000000048'].reduce((sum, digit) => sum + Number(digit), 0) % 5).not.toBe(0);
      expect(isValidSiret('35600000000048')).toBe(true);
      expect(isValidSiret('356 000 000 00048')).toBe(true);
    });
  });
});
