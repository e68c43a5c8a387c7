// Test support for the orchestrator's tests: a publisher that keeps the SDK's task events in
// memory (the SDK's EventPublisher interface), so a test reads exactly what would go to Kafka.
import type { DeferredTaskEvent, EventPublisher, FlushResult, PublishableEvent, PublisherStats } from '@aurea/sdk';

export type TaskEventV1 = ReturnType<DeferredTaskEvent['toEvent']>;

export class CapturingPublisher implements EventPublisher {
  events: TaskEventV1[] = [];
  publish(e: PublishableEvent): boolean {
    this.events.push('toEvent' in e ? e.toEvent() : e);
    return true;
  }
  flush(): Promise<FlushResult> {
    return Promise.resolve({ pending: 0 });
  }
  close(): Promise<FlushResult> {
    return this.flush();
  }
  stats(): PublisherStats {
    return { published: this.events.length, buffered: 0, dropped: new Map() };
  }
}
