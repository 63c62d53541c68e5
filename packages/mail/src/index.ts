export * from './address.js';
export * from './config.js';
export * from './outbox.js';
export * from './templates.js';
export * from './transports.js';
