export * from './api.js';
export * from './commands.js';
export * from './table.js';
export * from './watch.js';
export { run } from './main.js';
