export * from './config.js';
export * from './logger.js';
export * from './shutdown.js';
export * from './probes.js';
export * from './rng.js';
export * from './kafka.js';
export * from './retry.js';
export * from './cycles.js';
