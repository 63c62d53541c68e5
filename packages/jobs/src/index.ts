export * from './config.js';
export * from './dead-letters.js';
export * from './grants.js';
export * from './payload.js';
export * from './prepare.js';
export * from './queue.js';
export * from './queues.js';
