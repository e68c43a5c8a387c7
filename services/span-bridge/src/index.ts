// @aurea/span-bridge: OTLP GenAI spans → task events v1 (docs/otlp-spans.md).
export {
  startSpanBridge,
  type SpanBridgeHandle,
  type SpanBridgeOptions,
  type SpanBridgeStats,
  type DeadLetterReason,
} from './bridge.js';
export {
  spanBridgeEnv,
  spanBridgeConfigSchema,
  spanBridgeOptionsFromEnv,
  spanMetricsFromEnv,
  type SpanBridgeConfig,
} from './config.js';
export { SpanMetrics, OVERFLOW_SERVICE, type SpanMetricsOptions } from './metrics.js';
export {
  convertSpan,
  usageFromAttributes,
  AUREA_ATTRS,
  GENAI_ATTRS,
  type ConvertContext,
  type ConvertResult,
  type SpanRejectReason,
} from './convert.js';
export { decodeTraceRequest, spanToRequest, nanosToMs, ProtobufDecodeError, STATUS_CODE } from './otlp-proto.js';
export type {
  AnyValue,
  Attributes,
  OtlpSpan,
  OtlpScopeSpans,
  OtlpResourceSpans,
  OtlpTraceRequest,
} from './otlp-proto.js';
