// Pod Security admission with the upstream policy code (k8s.io/pod-security-admission/policy):
// every pod a rendered object leads to is evaluated at the level its namespace enforces
// (the namespace's pod-security.kubernetes.io/* labels, read by the upstream PolicyToEvaluate).
// Pods come from workload templates and from the custom resources the operators turn into pods;
// for those, the pod is assembled from the CR's template fields the way the pinned operator
// release builds it (docs/deploy.md, "Pod Security").
package main

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type pod struct {
	id   string
	meta metav1.ObjectMeta
	spec corev1.PodSpec
}

// Kinds that never lead to a pod. Any other kind without a pod model is reported, so a new
// operator resource cannot slip past the check unexamined.
var podless = map[string]bool{
	"Namespace": true, "ConfigMap": true, "Secret": true, "Service": true, "ServiceAccount": true,
	"Role": true, "RoleBinding": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"NetworkPolicy": true, "PodDisruptionBudget": true, "HorizontalPodAutoscaler": true,
	"PersistentVolumeClaim": true, "Ingress": true, "LimitRange": true, "ResourceQuota": true,
	"PrometheusRule": true, "ServiceMonitor": true, "PodMonitor": true, "Probe": true, "ScrapeConfig": true,
	"AlertmanagerConfig": true, "KafkaTopic": true, "KafkaUser": true, "ScaledObject": true,
	"TriggerAuthentication": true,
	// KafkaNodePool pods are assembled from the Kafka they belong to (with the pool's template).
	"KafkaNodePool": true,
}

func get(o interface{}, path ...string) interface{} {
	for _, k := range path {
		m, ok := o.(map[string]interface{})
		if !ok {
			return nil
		}
		o = m[k]
	}
	return o
}

func into(src interface{}, dst interface{}) error {
	m, ok := src.(map[string]interface{})
	if !ok || m == nil {
		return nil
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(m, dst)
}

func templatePod(id string, tmpl interface{}) (pod, error) {
	var t corev1.PodTemplateSpec
	err := into(tmpl, &t)
	return pod{id: id, meta: t.ObjectMeta, spec: t.Spec}, err
}

// podsOf returns the pods obj leads to; ok=false when the kind has no pod model.
func podsOf(obj map[string]interface{}, all []map[string]interface{}) (pods []pod, ok bool, err error) {
	kind := str(obj["kind"])
	id := kind + "/" + str(get(obj, "metadata", "name"))
	switch kind {
	case "Pod":
		p, err := templatePod(id, map[string]interface{}{"metadata": obj["metadata"], "spec": obj["spec"]})
		return []pod{p}, true, err
	case "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController":
		p, err := templatePod(id, get(obj, "spec", "template"))
		return []pod{p}, true, err
	case "CronJob":
		p, err := templatePod(id, get(obj, "spec", "jobTemplate", "spec", "template"))
		return []pod{p}, true, err
	case "ClickHouseInstallation", "ClickHouseKeeperInstallation":
		// The Altinity operator runs each podTemplate's spec as the StatefulSet pod spec (adding
		// volumes and mounts, no security settings of its own).
		list, _ := get(obj, "spec", "templates", "podTemplates").([]interface{})
		for _, t := range list {
			p, err := templatePod(id+" podTemplate "+str(get(t, "name")), t)
			if err != nil {
				return nil, true, err
			}
			pods = append(pods, p)
		}
		return pods, true, nil
	case "Kafka":
		pods, err := strimziPods(id, obj, all)
		return pods, true, err
	case "Prometheus":
		pods, err := promOperatorPod(id, obj, "prometheus")
		return pods, true, err
	case "Alertmanager":
		pods, err := promOperatorPod(id, obj, "alertmanager")
		return pods, true, err
	}
	return nil, podless[kind], nil
}

// strimziPod assembles a pod Strimzi (default pod-security provider) creates: the pod security
// context and volumes of template `pod`, one container per named container template, each with
// that template's securityContext (the provider adds none of its own).
func strimziPod(id string, podTmpl interface{}, containers map[string]interface{}) (pod, error) {
	var p pod
	p.id = id
	var sc corev1.PodSecurityContext
	if err := into(get(podTmpl, "securityContext"), &sc); err != nil {
		return p, err
	}
	if get(podTmpl, "securityContext") != nil {
		p.spec.SecurityContext = &sc
	}
	if vols, ok := get(podTmpl, "volumes").([]interface{}); ok {
		for _, v := range vols {
			var vol corev1.Volume
			if err := into(v, &vol); err != nil {
				return p, err
			}
			p.spec.Volumes = append(p.spec.Volumes, vol)
		}
	}
	names := make([]string, 0, len(containers))
	for n := range containers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := corev1.Container{Name: n}
		if raw := get(containers[n], "securityContext"); raw != nil {
			c.SecurityContext = &corev1.SecurityContext{}
			if err := into(raw, c.SecurityContext); err != nil {
				return p, err
			}
		}
		p.spec.Containers = append(p.spec.Containers, c)
	}
	return p, nil
}

func strimziPods(id string, kafka map[string]interface{}, all []map[string]interface{}) ([]pod, error) {
	var pods []pod
	kt := get(kafka, "spec", "kafka", "template")
	name := str(get(kafka, "metadata", "name"))
	for _, o := range all {
		if str(o["kind"]) != "KafkaNodePool" || str(get(o, "metadata", "labels", "strimzi.io/cluster")) != name {
			continue
		}
		// A node pool's template property replaces the Kafka's one of the same name.
		pt := get(o, "spec", "template")
		pick := func(k string) interface{} {
			if v := get(pt, k); v != nil {
				return v
			}
			return get(kt, k)
		}
		p, err := strimziPod(id+" KafkaNodePool/"+str(get(o, "metadata", "name")), pick("pod"),
			map[string]interface{}{"kafka": pick("kafkaContainer")})
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	if eo := get(kafka, "spec", "entityOperator"); eo != nil {
		t := get(eo, "template")
		cs := map[string]interface{}{}
		if get(eo, "topicOperator") != nil {
			cs["topic-operator"] = get(t, "topicOperatorContainer")
		}
		if get(eo, "userOperator") != nil {
			cs["user-operator"] = get(t, "userOperatorContainer")
		}
		p, err := strimziPod(id+" entity-operator", get(t, "pod"), cs)
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	// Single-container deployments of the Kafka: spec field, pod name, container template.
	for _, d := range [][3]string{
		{"kafkaExporter", "kafka-exporter", "container"},
		{"cruiseControl", "cruise-control", "cruiseControlContainer"},
	} {
		if c := get(kafka, "spec", d[0]); c != nil {
			p, err := strimziPod(id+" "+d[1], get(c, "template", "pod"),
				map[string]interface{}{d[1]: get(c, "template", d[2])})
			if err != nil {
				return nil, err
			}
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// operatorContainer is the securityContext prometheus-operator gives every container it adds
// (the main container, config-reloader, init-config-reloader): its StatefulSet builders in
// pkg/prometheus/server/statefulset.go, pkg/alertmanager/statefulset.go and
// pkg/operator/config_reloader.go of the pinned release.
func operatorContainer(name string) map[string]interface{} {
	return map[string]interface{}{
		"name": name,
		"securityContext": map[string]interface{}{
			"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
			"capabilities": map[string]interface{}{"drop": []interface{}{"ALL"}},
		},
	}
}

// mergeByName applies the CR's containers over the operator's by name (the operator's
// strategic merge of spec.containers), appending containers the operator does not make.
func mergeByName(base []interface{}, over interface{}) []interface{} {
	list, _ := over.([]interface{})
	for _, o := range list {
		om, _ := o.(map[string]interface{})
		merged := false
		for i, b := range base {
			if bm, _ := b.(map[string]interface{}); str(bm["name"]) == str(om["name"]) {
				base[i] = mergeMaps(bm, om)
				merged = true
			}
		}
		if !merged {
			base = append(base, om)
		}
	}
	return base
}

func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		am, aok := out[k].(map[string]interface{})
		bm, bok := v.(map[string]interface{})
		if aok && bok {
			out[k] = mergeMaps(am, bm)
		} else {
			out[k] = v
		}
	}
	return out
}

func promOperatorPod(id string, obj map[string]interface{}, main string) ([]pod, error) {
	spec, _ := obj["spec"].(map[string]interface{})
	podSpec := map[string]interface{}{
		"containers": mergeByName([]interface{}{operatorContainer(main), operatorContainer("config-reloader")},
			spec["containers"]),
		"initContainers": mergeByName([]interface{}{operatorContainer("init-config-reloader")}, spec["initContainers"]),
	}
	for _, k := range []string{"securityContext", "hostNetwork", "hostUsers", "volumes"} {
		if v, ok := spec[k]; ok {
			podSpec[k] = v
		}
	}
	p, err := templatePod(id, map[string]interface{}{"metadata": get(obj, "spec", "podMetadata"), "spec": podSpec})
	return []pod{p}, err
}

type podResult struct {
	Pod       string   `json:"pod"`
	Namespace string   `json:"namespace"`
	Enforce   string   `json:"enforce"`
	Forbidden []string `json:"forbidden"`
	// Violations of the namespace's `warn` level (admitted, with a warning to the user).
	Warnings []string `json:"warnings"`
}

func evaluate(e policy.Evaluator, lv api.LevelVersion, p pod) []string {
	var out []string
	for _, r := range e.EvaluatePod(lv, &p.meta, &p.spec) {
		if !r.Allowed {
			out = append(out, fmt.Sprintf("%s (%s)", r.ForbiddenReason, r.ForbiddenDetail))
		}
	}
	return out
}

// checkPodSecurity evaluates every pod of objects at its namespace's levels.
func checkPodSecurity(objects []map[string]interface{}) (results []podResult, problems []string) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, []string{err.Error()}
	}
	defaults := api.Policy{
		Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
		Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	}
	policies := map[string]api.Policy{}
	for _, o := range objects {
		if str(o["kind"]) != "Namespace" {
			continue
		}
		labels := map[string]string{}
		if m, ok := get(o, "metadata", "labels").(map[string]interface{}); ok {
			for k, v := range m {
				labels[k] = str(v)
			}
		}
		pol, errs := api.PolicyToEvaluate(labels, defaults)
		for _, e := range errs {
			problems = append(problems, "Namespace/"+str(get(o, "metadata", "name"))+": "+e.Error())
		}
		policies[str(get(o, "metadata", "name"))] = pol
	}
	for _, o := range objects {
		pods, modelled, err := podsOf(o, objects)
		id := str(o["kind"]) + "/" + str(get(o, "metadata", "name"))
		if err != nil {
			problems = append(problems, id+": "+err.Error())
			continue
		}
		if !modelled {
			problems = append(problems, fmt.Sprintf("%s (%s): no pod model for this kind in k8s/admission-check",
				id, str(o["apiVersion"])))
			continue
		}
		if len(pods) == 0 {
			continue
		}
		ns := str(get(o, "metadata", "namespace"))
		pol, ok := policies[ns]
		if !ok {
			problems = append(problems,
				fmt.Sprintf("%s: namespace %q is not rendered, so its Pod Security level is unknown", id, ns))
			continue
		}
		for _, p := range pods {
			r := podResult{Pod: p.id, Namespace: ns, Enforce: pol.Enforce.String(),
				Forbidden: evaluate(evaluator, pol.Enforce, p), Warnings: evaluate(evaluator, pol.Warn, p)}
			if r.Forbidden == nil {
				r.Forbidden = []string{}
			}
			if r.Warnings == nil {
				r.Warnings = []string{}
			}
			results = append(results, r)
			if len(r.Forbidden) > 0 {
				problems = append(problems, fmt.Sprintf("%s: violates PodSecurity %q: %s", p.id, r.Enforce,
					strings.Join(r.Forbidden, ", ")))
			}
		}
	}
	return results, problems
}
