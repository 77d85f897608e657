import type { CombinedError } from 'urql';
import { fr } from './i18n/fr';

/** A transport or GraphQL-level error, turned into a sentence for the user (domain errors come as union members). */
export function describeError(error: CombinedError): string {
  return error.networkError ? fr.errors.network : fr.errors.unexpected;
}
