export * from './model.js';
export * from './validate.js';
export * from './ids.js';
export * from './topics.js';
