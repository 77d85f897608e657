// Placeholder: this area's node types, queries and mutations land here.
export {};
