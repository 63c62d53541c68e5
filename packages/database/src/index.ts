export * from './batch.js';
export * from './database.js';
export * from './embedded.js';
export * from './orm.js';
export * from './sql.js';
