/**
 * SIRET numbers: 14 digits identifying a French establishment, the 9-digit SIREN of its company
 * followed by a 5-digit establishment number (NIC). INSEE gives both numbers a Luhn check digit.
 *
 * One exception: La Poste (SIREN 356 000 000) numbers far more establishments than a Luhn key
 * allows, so its SIRETs — all but its head office, 356 000 000 00048, which keeps the Luhn key —
 * only have a digit sum divisible by 5.
 */

/** SIREN of La Poste, whose establishments follow the "sum of digits divisible by 5" rule. */
export const LA_POSTE_SIREN = '356000000';
/** SIRET of La Poste's head office, which keeps the ordinary Luhn key. */
export const LA_POSTE_HEAD_OFFICE_SIRET = '35600000000048';

/** A SIRET as typed by a person (`356 000 000 00048`, `356.000.000.00048`), without its separators. */
export function compactSiret(value: string): string {
  return value.replace(/[\s.\-\u00a0\u202f]/g, '');
}

/** The Luhn check: from the right, every second digit doubled (minus 9 above 9), the sum a multiple of 10. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Whether a SIREN (9 digits) has a valid Luhn key. */
export function isValidSiren(value: string): boolean {
  const siren = compactSiret(value);
  return /^\d{9}$/.test(siren) && luhnValid(siren);
}

/**
 * Whether a SIRET is well formed: 14 digits (separators ignored) whose SIREN part is valid and whose
 * whole passes the Luhn check — or, for La Poste's establishments, whose digits sum to a multiple of 5.
 */
export function isValidSiret(value: string): boolean {
  const siret = compactSiret(value);
  if (!/^\d{14}$/.test(siret)) return false;
  if (!isValidSiren(siret.slice(0, 9))) return false;
  if (siret.startsWith(LA_POSTE_SIREN) && siret !== LA_POSTE_HEAD_OFFICE_SIRET) {
    const sum = [...siret].reduce((total, digit) => total + Number(digit), 0);
    return sum % 5 === 0;
  }
  return luhnValid(siret);
}
