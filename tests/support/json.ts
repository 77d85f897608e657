/**
 * A GraphQL result's JSON as tests read it: shapes vary per operation and every value read is
 * asserted, so a typed tree would only add casts.
 */
// biome-ignore lint/suspicious/noExplicitAny: dynamic JSON, checked by the assertions that read it.
export type Json = any;
