// Package idsplitconnector is the Aurea Collector's split between the direct path and the exact
// cardinality guard (docs/collector.md, "The split"): data points of streams that carry an id (an
// attribute key, on the point or on its resource, that matches the id-key pattern) or that are deltas
// go to the guard pipelines; all others go, untouched, to the direct pipelines.
//
// Why our own component: the contrib routing connector (which could route on OTTL conditions) is not
// served by this machine's Go module proxy at the guard tier's version (v0.155.0), and the same split
// written as two filter processors costs about half of the Collector's CPU (every export is cloned for
// the second pipeline, and each point's keys are rendered as JSON and matched by a regular expression,
// twice). Here each point's keys are looked up in a cache of already classified keys, and every point
// is moved, never copied.
package idsplitconnector // import "aurea.dev/otelcol/idsplitconnector"

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// maxCachedKeys bounds the key cache (attribute keys are few; a client inventing keys must not grow
// memory without bound). Keys beyond it are matched every time.
const maxCachedKeys = 10_000

// keyClassifier tells whether an attribute key names an id. Safe for concurrent use.
type keyClassifier struct {
	re    *regexp.Regexp
	cache sync.Map // string -> bool
	size  atomic.Int64
}

func newKeyClassifier(pattern string) (*keyClassifier, error) {
	re, err := regexp.Compile("^(?:" + pattern + ")$")
	if err != nil {
		return nil, err
	}
	return &keyClassifier{re: re}, nil
}

func (c *keyClassifier) isID(key string) bool {
	if v, ok := c.cache.Load(key); ok {
		return v.(bool)
	}
	id := c.re.MatchString(key)
	if c.size.Load() < maxCachedKeys {
		if _, loaded := c.cache.LoadOrStore(strings.Clone(key), id); !loaded {
			c.size.Add(1)
		}
	}
	return id
}

func anyKey(attrs pcommon.Map, isID func(string) bool) bool {
	for k := range attrs.All() {
		if isID(k) {
			return true
		}
	}
	return false
}

// point is what every data point type offers that the split needs.
type point[P any] interface {
	Attributes() pcommon.Map
	MoveTo(P)
}

// pointSlice is what every data point slice type offers that the split needs.
type pointSlice[P point[P]] interface {
	Len() int
	At(int) P
	AppendEmpty() P
	RemoveIf(func(P) bool)
}

// countIDs returns how many of the points carry an id.
func countIDs[P point[P], S pointSlice[P]](pts S, isID func(string) bool) int {
	n := 0
	for i := 0; i < pts.Len(); i++ {
		if anyKey(pts.At(i).Attributes(), isID) {
			n++
		}
	}
	return n
}

// moveIDs moves the points that carry an id from src to dst.
func moveIDs[P point[P], S pointSlice[P]](src, dst S, isID func(string) bool) {
	src.RemoveIf(func(p P) bool {
		if !anyKey(p.Attributes(), isID) {
			return false
		}
		p.MoveTo(dst.AppendEmpty())
		return true
	})
}

// route of one metric: all of its points direct, all to the guard, or split point by point.
type route int

const (
	allDirect route = iota
	allGuard
	mixed
)

func classify(m pmetric.Metric, isID func(string) bool) route {
	var ids, n int
	switch m.Type() {
	case pmetric.MetricTypeSum:
		if m.Sum().AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			return allGuard
		}
		ids, n = countIDs(m.Sum().DataPoints(), isID), m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		if m.Histogram().AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			return allGuard
		}
		ids, n = countIDs(m.Histogram().DataPoints(), isID), m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		if m.ExponentialHistogram().AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			return allGuard
		}
		ids, n = countIDs(m.ExponentialHistogram().DataPoints(), isID), m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeGauge:
		ids, n = countIDs(m.Gauge().DataPoints(), isID), m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		ids, n = countIDs(m.Summary().DataPoints(), isID), m.Summary().DataPoints().Len()
	default:
		return allDirect
	}
	switch {
	case ids == 0:
		return allDirect
	case ids == n:
		return allGuard
	default:
		return mixed
	}
}

// moveIDPoints moves m's points that carry an id into dst, a new metric of the same name, unit,
// type and temporality.
func moveIDPoints(m, dst pmetric.Metric, isID func(string) bool) {
	dst.SetName(m.Name())
	dst.SetDescription(m.Description())
	dst.SetUnit(m.Unit())
	m.Metadata().CopyTo(dst.Metadata())
	switch m.Type() {
	case pmetric.MetricTypeSum:
		s := dst.SetEmptySum()
		s.SetAggregationTemporality(m.Sum().AggregationTemporality())
		s.SetIsMonotonic(m.Sum().IsMonotonic())
		moveIDs(m.Sum().DataPoints(), s.DataPoints(), isID)
	case pmetric.MetricTypeHistogram:
		h := dst.SetEmptyHistogram()
		h.SetAggregationTemporality(m.Histogram().AggregationTemporality())
		moveIDs(m.Histogram().DataPoints(), h.DataPoints(), isID)
	case pmetric.MetricTypeExponentialHistogram:
		h := dst.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(m.ExponentialHistogram().AggregationTemporality())
		moveIDs(m.ExponentialHistogram().DataPoints(), h.DataPoints(), isID)
	case pmetric.MetricTypeGauge:
		moveIDs(m.Gauge().DataPoints(), dst.SetEmptyGauge().DataPoints(), isID)
	case pmetric.MetricTypeSummary:
		moveIDs(m.Summary().DataPoints(), dst.SetEmptySummary().DataPoints(), isID)
	}
}

// Split moves every data point of md into one of two new Metrics: guard (points of streams that carry
// an id, on the point or on its resource, and all delta points) or direct (the rest). Resources and
// scopes are copied to the guard side only when they have points there; md is left empty.
func Split(md pmetric.Metrics, isID func(string) bool) (guard, direct pmetric.Metrics) {
	guard, direct = pmetric.NewMetrics(), pmetric.NewMetrics()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		if anyKey(rm.Resource().Attributes(), isID) {
			rm.MoveTo(guard.ResourceMetrics().AppendEmpty())
			continue
		}
		var grm pmetric.ResourceMetrics
		hasGuard := false
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			var gsm pmetric.ScopeMetrics
			hasScope := false
			guardScope := func() pmetric.ScopeMetrics {
				if !hasGuard {
					grm = guard.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(grm.Resource())
					grm.SetSchemaUrl(rm.SchemaUrl())
					hasGuard = true
				}
				if !hasScope {
					gsm = grm.ScopeMetrics().AppendEmpty()
					sm.Scope().CopyTo(gsm.Scope())
					gsm.SetSchemaUrl(sm.SchemaUrl())
					hasScope = true
				}
				return gsm
			}
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
				switch classify(m, isID) {
				case allGuard:
					m.MoveTo(guardScope().Metrics().AppendEmpty())
					return true
				case mixed:
					moveIDPoints(m, guardScope().Metrics().AppendEmpty(), isID)
				}
				return false
			})
			return sm.Metrics().Len() == 0
		})
		if rm.ScopeMetrics().Len() > 0 {
			rm.MoveTo(direct.ResourceMetrics().AppendEmpty())
		}
	}
	rms.RemoveIf(func(pmetric.ResourceMetrics) bool { return true })
	return guard, direct
}
