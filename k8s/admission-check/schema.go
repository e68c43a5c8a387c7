// Schema validation with the Kubernetes API server's own code (k8s.io/apiextensions-apiserver):
// the pruning that finds unknown fields (what `kubectl apply --validate=strict` reports), the
// OpenAPI value validation, list-type (set/map) checks and CEL rules of a CustomResourceDefinition.
// Built-in kinds are checked the same way against the official OpenAPI v3 documents of a
// Kubernetes release (api/openapi-spec/v3 of the k8s.io/kubernetes module), with their $refs
// inlined into one schema per kind (docs/deploy.md, "Tests and what validates means").
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// kindSchema is the validation schema of one group/version/kind from one source.
type kindSchema struct {
	source     string
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

func newKindSchema(source string, v1 *apiextv1.JSONSchemaProps) (*kindSchema, error) {
	internal := &apiextensions.JSONSchemaProps{}
	if err := apiextv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v1, internal, nil); err != nil {
		return nil, err
	}
	s, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, err
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, err
	}
	return &kindSchema{
		source:     source,
		structural: s,
		validator:  validator,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// validate returns the problems the API server would report for obj under strict field
// validation: unknown fields (also in metadata), schema violations, list-type and CEL rules.
func (k *kindSchema) validate(obj map[string]interface{}) []string {
	var problems []string
	pruned := runtime.DeepCopyJSON(obj)
	_, _, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(pruned, schemaobjectmeta.ObjectMetaOptions{
		ReturnUnknownFieldPaths: true,
	})
	if err != nil {
		problems = append(problems, "metadata: "+err.Error())
	}
	unknown = append(unknown, pruning.PruneWithOptions(pruned, k.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	if ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, pruned, k.structural, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); ferr != nil {
		problems = append(problems, ferr.Error())
	} else {
		unknown = append(unknown, paths...)
	}
	for _, p := range unknown {
		problems = append(problems, fmt.Sprintf("unknown field %q", p))
	}
	for _, e := range apiservervalidation.ValidateCustomResource(nil, obj, k.validator) {
		problems = append(problems, e.Error())
	}
	for _, e := range listtype.ValidateListSetsAndMaps(nil, k.structural, obj) {
		problems = append(problems, e.Error())
	}
	for _, e := range schemaobjectmeta.Validate(nil, obj, k.structural, true) {
		problems = append(problems, e.Error())
	}
	if k.cel != nil {
		errs, _ := k.cel.Validate(context.Background(), nil, k.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		for _, e := range errs {
			problems = append(problems, e.Error())
		}
	}
	return problems
}

// crdSet holds the served versions of the CustomResourceDefinitions of one operator release.
type crdSet struct {
	source string
	kinds  map[schema.GroupVersionKind]*kindSchema
	// groupKinds lists the kinds a source defines (to tell "version not served" from "unknown").
	groupKinds map[schema.GroupKind][]string
}

func loadCRDs(source string, files []string) (*crdSet, error) {
	set := &crdSet{source: source, kinds: map[schema.GroupVersionKind]*kindSchema{},
		groupKinds: map[schema.GroupKind][]string{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range splitYAML(data) {
			var crd apiextv1.CustomResourceDefinition
			if err := yaml.Unmarshal(doc, &crd); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
			for _, v := range crd.Spec.Versions {
				if !v.Served {
					continue
				}
				set.groupKinds[gk] = append(set.groupKinds[gk], v.Name)
				if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
					return nil, fmt.Errorf("%s: %s/%s has no schema", f, gk, v.Name)
				}
				ks, err := newKindSchema(source, v.Schema.OpenAPIV3Schema)
				if err != nil {
					return nil, fmt.Errorf("%s: %s/%s: %w", f, gk, v.Name, err)
				}
				set.kinds[gk.WithVersion(v.Name)] = ks
			}
		}
	}
	if len(set.kinds) == 0 {
		return nil, fmt.Errorf("%s: no CustomResourceDefinition in %v", source, files)
	}
	return set, nil
}

// openAPISet is one Kubernetes release's OpenAPI v3 documents (one per group-version).
type openAPISet struct {
	source string
	// gvk → the document's schemas and the schema's name in it
	index map[schema.GroupVersionKind]openAPIRef
	cache map[schema.GroupVersionKind]*kindSchema
}

type openAPIRef struct {
	schemas map[string]interface{}
	name    string
}

func loadOpenAPI(source, dir string) (*openAPISet, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_openapi.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("%s: no OpenAPI v3 documents in %s", source, dir)
	}
	set := &openAPISet{source: source, index: map[schema.GroupVersionKind]openAPIRef{},
		cache: map[schema.GroupVersionKind]*kindSchema{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Components struct {
				Schemas map[string]interface{} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for name, s := range doc.Components.Schemas {
			m, _ := s.(map[string]interface{})
			gvks, _ := m["x-kubernetes-group-version-kind"].([]interface{})
			for _, g := range gvks {
				gm, _ := g.(map[string]interface{})
				gvk := schema.GroupVersionKind{Group: str(gm["group"]), Version: str(gm["version"]), Kind: str(gm["kind"])}
				// The kind's own document (its group-version) wins over documents that only reference it.
				if _, seen := set.index[gvk]; !seen || strings.HasSuffix(name, "."+gvk.Kind) && ownsGroup(f, gvk) {
					set.index[gvk] = openAPIRef{schemas: doc.Components.Schemas, name: name}
				}
			}
		}
	}
	return set, nil
}

func ownsGroup(file string, gvk schema.GroupVersionKind) bool {
	base := filepath.Base(file)
	if gvk.Group == "" {
		return base == "api__v1_openapi.json"
	}
	return base == "apis__"+gvk.Group+"__"+gvk.Version+"_openapi.json"
}

func (o *openAPISet) schemaFor(gvk schema.GroupVersionKind) (*kindSchema, bool, error) {
	if ks, ok := o.cache[gvk]; ok {
		return ks, true, nil
	}
	ref, ok := o.index[gvk]
	if !ok {
		return nil, false, nil
	}
	inlined := inlineRefs(ref.schemas, ref.schemas[ref.name], map[string]bool{ref.name: true})
	raw, err := json.Marshal(inlined)
	if err != nil {
		return nil, true, err
	}
	var props apiextv1.JSONSchemaProps
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, true, fmt.Errorf("%s %s: %w", o.source, gvk, err)
	}
	ks, err := newKindSchema(o.source, &props)
	if err != nil {
		return nil, true, fmt.Errorf("%s %s: %w", o.source, gvk, err)
	}
	o.cache[gvk] = ks
	return ks, true, nil
}

const refPrefix = "#/components/schemas/"

// inlineRefs replaces every {"$ref": …} (and the `allOf: [{$ref}]` wrapper the Kubernetes
// documents put around a reference with a description or default) by the referenced schema.
// A reference back into a schema being inlined (recursive types) becomes "any value".
func inlineRefs(schemas map[string]interface{}, node interface{}, stack map[string]bool) interface{} {
	switch n := node.(type) {
	case []interface{}:
		out := make([]interface{}, len(n))
		for i, v := range n {
			out[i] = inlineRefs(schemas, v, stack)
		}
		return out
	case map[string]interface{}:
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, refPrefix)
			if stack[name] {
				return map[string]interface{}{"x-kubernetes-preserve-unknown-fields": true}
			}
			stack[name] = true
			resolved := inlineRefs(schemas, schemas[name], stack)
			delete(stack, name)
			return resolved
		}
		out := map[string]interface{}{}
		for k, v := range n {
			if k == "allOf" {
				if list, ok := v.([]interface{}); ok && len(list) == 1 {
					if m, ok := inlineRefs(schemas, list[0], stack).(map[string]interface{}); ok {
						for mk, mv := range m {
							if _, own := n[mk]; !own {
								out[mk] = mv
							}
						}
						continue
					}
				}
			}
			out[k] = inlineRefs(schemas, v, stack)
		}
		return out
	default:
		return node
	}
}

func str(v interface{}) string {
	s, _ := v.(string)
	return s
}

// schemaChecker validates objects: built-in kinds against every Kubernetes release given,
// custom resources against the CRDs of the operator release that defines their group.
type schemaChecker struct {
	kubernetes []*openAPISet
	crds       []*crdSet
}

// check returns the sources obj was validated against and the problems found.
func (c *schemaChecker) check(obj map[string]interface{}) (sources []string, problems []string) {
	gvk := schema.FromAPIVersionAndKind(str(obj["apiVersion"]), str(obj["kind"]))
	for _, set := range c.crds {
		if served, ok := set.groupKinds[gvk.GroupKind()]; ok {
			ks := set.kinds[gvk]
			if ks == nil {
				sort.Strings(served)
				return []string{set.source}, []string{fmt.Sprintf("%s is not served by %s (served: %s)",
					gvk.GroupVersion(), set.source, strings.Join(served, ", "))}
			}
			problems = ks.validate(obj)
			if gvk.Group == "clickhouse.altinity.com" || gvk.Group == "clickhouse-keeper.altinity.com" {
				paths := make([]string, 0)
				embedded := altinityEmbedded(obj)
				for p := range embedded {
					paths = append(paths, p)
				}
				sort.Strings(paths)
				for _, p := range paths {
					srcs, probs := c.check(embedded[p])
					for _, e := range probs {
						problems = append(problems, p+": "+e)
					}
					for _, src := range srcs {
						if !slices.Contains(sources, src) {
							sources = append(sources, src)
						}
					}
				}
			}
			return append([]string{set.source}, sources...), problems
		}
	}
	obj = normalizeBytes(gvk, obj)
	for _, set := range c.kubernetes {
		ks, found, err := set.schemaFor(gvk)
		if err != nil {
			return sources, append(problems, err.Error())
		}
		sources = append(sources, set.source)
		if !found {
			problems = append(problems, fmt.Sprintf("%s %s is not served by %s", gvk.GroupVersion(), gvk.Kind, set.source))
			continue
		}
		for _, p := range ks.validate(obj) {
			problems = append(problems, set.source+": "+p)
		}
	}
	if len(sources) == 0 {
		problems = append(problems, "no schema for "+gvk.String())
	}
	return sources, problems
}

// normalizeBytes drops line breaks from the base64 values of the built-in []byte maps
// (Secret data, ConfigMap binaryData) in a copy of obj: the API server decodes them with Go's
// base64 decoder, which ignores \r and \n (kustomize wraps generated Secret data at 76 columns),
// while the OpenAPI "byte" format check does not.
func normalizeBytes(gvk schema.GroupVersionKind, obj map[string]interface{}) map[string]interface{} {
	field := map[string]string{"Secret": "data", "ConfigMap": "binaryData"}[gvk.Kind]
	values, ok := obj[field].(map[string]interface{})
	if gvk.Group != "" || field == "" || !ok {
		return obj
	}
	out := runtime.DeepCopyJSON(obj)
	for k, v := range values {
		if s, ok := v.(string); ok {
			out[field].(map[string]interface{})[k] = strings.NewReplacer("\n", "", "\r", "").Replace(s)
		}
	}
	return out
}

// altinityEmbedded returns the built-in objects an Altinity resource carries untyped (its CRD
// preserves unknown fields in its templates) and the operator creates as they are: pod templates
// (the StatefulSet's pod template), volume claim templates and service templates. They are
// checked against the built-in kinds' schemas like any other object.
func altinityEmbedded(obj map[string]interface{}) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	kinds := map[string]string{"podTemplates": "PodTemplate", "volumeClaimTemplates": "PersistentVolumeClaim",
		"serviceTemplates": "Service"}
	for list, kind := range kinds {
		items, _ := get(obj, "spec", "templates", list).([]interface{})
		for i, t := range items {
			name := str(get(t, "name"))
			o := map[string]interface{}{"apiVersion": "v1", "kind": kind,
				"metadata": map[string]interface{}{"name": name}}
			if kind == "PodTemplate" {
				o["template"] = map[string]interface{}{"metadata": get(t, "metadata"), "spec": get(t, "spec")}
			} else {
				o["spec"] = get(t, "spec")
			}
			out[fmt.Sprintf("spec.templates.%s[%d] (%s %q)", list, i, kind, name)] = o
		}
	}
	return out
}
