// kafkajs → pino: one log creator for every service that uses kafkajs. Structural types keep
// @aurea/common free of a kafkajs dependency (levels as kafkajs numbers them: ERROR 1, WARN 2).
import type { Logger } from 'pino';

interface KafkaLogEntry {
  level: number;
  log: { message: string } & Record<string, unknown>;
}

export function kafkaLogCreator(log: Logger): () => (entry: KafkaLogEntry) => void {
  return () =>
    ({ level, log: entry }) => {
      const { message, ...rest } = entry;
      if (level <= 1) log.error(rest, `kafka: ${message}`);
      else if (level === 2) log.warn(rest, `kafka: ${message}`);
      else log.debug(rest, `kafka: ${message}`);
    };
}
