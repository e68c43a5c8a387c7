export * from './client.js';
export * from './migrate.js';
export * from './rows.js';
export * from './insert.js';
export * from './errors.js';
export * from './rollups.js';
