export * from './audit-plugin.js';
export * from './context.js';
export * from './direct-lane.js';
export * from './graphql-server.js';
export * from './http-server.js';
export * from './jit-executor.js';
export * from './limits-plugin.js';
export * from './redactions-plugin.js';
