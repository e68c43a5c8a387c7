package idsplitconnector

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The id-key pattern of collector/config.yaml (collector/config.test.ts keeps the two equal).
const pattern = `(aurea\.)?(job|task|tenant|user|repository|request|session|conversation)([._]id)?` +
	`|gen_ai\.(request|response|conversation)\.id|http\.request\.id|enduser\.id`

func classifier(t *testing.T) func(string) bool {
	t.Helper()
	c, err := newKeyClassifier(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return c.isID
}

func TestKeys(t *testing.T) {
	isID := classifier(t)
	for _, k := range []string{"aurea.job.id", "job_id", "job", "user.id", "gen_ai.response.id", "enduser.id", "session.id"} {
		if !isID(k) || !isID(k) { // second call: from the cache
			t.Errorf("%s: want id", k)
		}
	}
	for _, k := range []string{"aurea.task.name", "gen_ai.request.model", "service.instance.id", "jobs", "x.job.id", ""} {
		if isID(k) || isID(k) {
			t.Errorf("%s: want not an id", k)
		}
	}
}

// sum appends a cumulative (or delta) monotonic sum with one point per attribute set.
func sum(sm pmetric.ScopeMetrics, name string, delta bool, points ...map[string]string) {
	m := sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit("USD")
	m.SetDescription("d-" + name)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	if delta {
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	}
	for i, attrs := range points {
		dp := s.DataPoints().AppendEmpty()
		dp.SetDoubleValue(float64(i + 1))
		for k, v := range attrs {
			dp.Attributes().PutStr(k, v)
		}
	}
}

func TestSplit(t *testing.T) {
	md := pmetric.NewMetrics()
	// Resource 1 (no ids): a mixed sum, a delta sum without ids, an id-free histogram, an id gauge.
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "svc")
	rm.Resource().Attributes().PutStr("service.instance.id", "i-1")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("scope-a")
	sum(sm, "cost", false, map[string]string{"model": "a"}, map[string]string{"model": "a", "aurea.job.id": "j1"},
		map[string]string{"model": "b"})
	sum(sm, "tokens", true, map[string]string{"model": "a"})
	h := sm.Metrics().AppendEmpty()
	h.SetName("duration")
	h.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	h.Histogram().DataPoints().AppendEmpty().Attributes().PutStr("model", "a")
	g := sm.Metrics().AppendEmpty()
	g.SetName("depth")
	g.SetEmptyGauge().DataPoints().AppendEmpty().Attributes().PutStr("user.id", "u")
	// Resource 2: an id on the resource, everything of it goes to the guard.
	rm2 := md.ResourceMetrics().AppendEmpty()
	rm2.Resource().Attributes().PutStr("service.name", "svc")
	rm2.Resource().Attributes().PutStr("aurea.job.id", "j2")
	sum(rm2.ScopeMetrics().AppendEmpty(), "cost", false, map[string]string{"model": "a"})
	total := md.DataPointCount()

	guard, direct := Split(md, classifier(t))

	if md.ResourceMetrics().Len() != 0 {
		t.Errorf("input not emptied")
	}
	if got := guard.DataPointCount() + direct.DataPointCount(); got != total {
		t.Fatalf("points: %d + %d, want %d in all", guard.DataPointCount(), direct.DataPointCount(), total)
	}
	// Direct: resource 1 with cost (model a, b) and the histogram.
	if direct.ResourceMetrics().Len() != 1 || direct.DataPointCount() != 3 {
		t.Fatalf("direct: %d resources, %d points", direct.ResourceMetrics().Len(), direct.DataPointCount())
	}
	dm := direct.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	if dm.Len() != 2 || dm.At(0).Name() != "cost" || dm.At(1).Name() != "duration" {
		t.Fatalf("direct metrics: %d", dm.Len())
	}
	for i := 0; i < dm.At(0).Sum().DataPoints().Len(); i++ {
		if _, ok := dm.At(0).Sum().DataPoints().At(i).Attributes().Get("aurea.job.id"); ok {
			t.Errorf("an id point stayed on the direct side")
		}
	}
	// Guard: resource 1 (copy) with the id point of cost (its metadata kept), tokens (delta), depth;
	// resource 2 whole.
	if guard.ResourceMetrics().Len() != 2 || guard.DataPointCount() != 4 {
		t.Fatalf("guard: %d resources, %d points", guard.ResourceMetrics().Len(), guard.DataPointCount())
	}
	g1 := guard.ResourceMetrics().At(0)
	if v, _ := g1.Resource().Attributes().Get("service.instance.id"); v.Str() != "i-1" {
		t.Errorf("guard resource not copied")
	}
	if g1.ScopeMetrics().At(0).Scope().Name() != "scope-a" {
		t.Errorf("guard scope not copied")
	}
	gm := g1.ScopeMetrics().At(0).Metrics()
	names := []string{}
	for i := 0; i < gm.Len(); i++ {
		names = append(names, gm.At(i).Name())
	}
	if len(names) != 3 || names[0] != "cost" || names[1] != "tokens" || names[2] != "depth" {
		t.Fatalf("guard metrics %v", names)
	}
	cost := gm.At(0)
	if cost.Unit() != "USD" || cost.Description() != "d-cost" || !cost.Sum().IsMonotonic() ||
		cost.Sum().AggregationTemporality() != pmetric.AggregationTemporalityCumulative ||
		cost.Sum().DataPoints().Len() != 1 || cost.Sum().DataPoints().At(0).DoubleValue() != 2 {
		t.Errorf("guard cost metric not split correctly")
	}
}

func TestValidate(t *testing.T) {
	if err := (&Config{IDKeyPattern: "(", Guard: nil}).Validate(); err == nil {
		t.Error("bad pattern and no pipelines accepted")
	}
}
