export {
  DEFAULT_CYCLE_MS,
  DEFAULT_MAX_CYCLE_MESSAGES,
  startConsumer,
  type ConsumerHandle,
  type ConsumerOptions,
  type ConsumerStats,
} from './consumer.js';
export { consumerEnv, consumerOptionsFromEnv, type ConsumerConfig } from './config.js';
