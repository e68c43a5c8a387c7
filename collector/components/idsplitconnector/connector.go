package idsplitconnector // import "aurea.dev/otelcol/idsplitconnector"

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pipeline"
)

// Config of the idsplit connector.
type Config struct {
	// IDKeyPattern is a regular expression over attribute keys, anchored at both ends: a key it
	// matches names an id (job, task, tenant, user, request, ...).
	IDKeyPattern string `mapstructure:"id_key_pattern"`
	// Guard lists the metrics pipelines that receive the points of id-carrying and delta streams.
	Guard []pipeline.ID `mapstructure:"guard"`
	// Direct lists the metrics pipelines that receive all other points.
	Direct []pipeline.ID `mapstructure:"direct"`
}

// Validate checks the pattern compiles and both pipeline lists are given.
func (c *Config) Validate() error {
	if c.IDKeyPattern == "" {
		return errors.New("id_key_pattern is required")
	}
	if _, err := regexp.Compile(c.IDKeyPattern); err != nil {
		return fmt.Errorf("id_key_pattern: %w", err)
	}
	if len(c.Guard) == 0 || len(c.Direct) == 0 {
		return errors.New("guard and direct pipelines are both required")
	}
	return nil
}

// NewFactory creates the idsplit connector's factory (metrics to metrics).
func NewFactory() connector.Factory {
	return connector.NewFactory(
		component.MustNewType("idsplit"),
		func() component.Config { return &Config{} },
		connector.WithMetricsToMetrics(createMetricsToMetrics, component.StabilityLevelDevelopment),
	)
}

func createMetricsToMetrics(
	_ context.Context, _ connector.Settings, cfg component.Config, next consumer.Metrics,
) (connector.Metrics, error) {
	c := cfg.(*Config)
	router, ok := next.(connector.MetricsRouterAndConsumer)
	if !ok {
		return nil, errors.New("idsplit needs to feed metrics pipelines")
	}
	guard, err := router.Consumer(c.Guard...)
	if err != nil {
		return nil, fmt.Errorf("guard pipelines: %w", err)
	}
	direct, err := router.Consumer(c.Direct...)
	if err != nil {
		return nil, fmt.Errorf("direct pipelines: %w", err)
	}
	keys, err := newKeyClassifier(c.IDKeyPattern)
	if err != nil {
		return nil, err
	}
	return &splitter{guard: guard, direct: direct, keys: keys}, nil
}

type splitter struct {
	component.StartFunc
	component.ShutdownFunc
	guard, direct consumer.Metrics
	keys          *keyClassifier
}

func (s *splitter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (s *splitter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	guard, direct := Split(md, s.keys.isID)
	var errs []error
	if guard.ResourceMetrics().Len() > 0 {
		errs = append(errs, s.guard.ConsumeMetrics(ctx, guard))
	}
	if direct.ResourceMetrics().Len() > 0 {
		errs = append(errs, s.direct.ConsumeMetrics(ctx, direct))
	}
	return errors.Join(errs...)
}
