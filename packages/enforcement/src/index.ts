export * from './decisions.js';
export * from './federation.js';
export * from './plugin.js';
export * from './redactions.js';
export * from './row-scope.js';
export * from './schema-types.js';
export * from './types.js';
export * from './writes.js';
