export { startConsumer, type ConsumerHandle, type ConsumerOptions, type ConsumerStats } from './consumer.js';
export { consumerEnv, consumerOptionsFromEnv, type ConsumerConfig } from './config.js';
