// aurea-k8s-check: checks rendered Kubernetes manifests the way a cluster's API server would
// admit them — schema validation with unknown fields as errors (schema.go) and Pod Security
// admission at each namespace's enforced level (pods.go) — using the upstream Kubernetes code.
//
//	aurea-k8s-check --kubernetes 'kubernetes v1.35.4=<dir of OpenAPI v3 json>' ... \
//	  --crds 'strimzi 0.51.0=<crd.yaml>,<crd.yaml>' ... < rendered.yaml
//
// Prints one JSON report on stdout: every object with the schema sources it was checked
// against, every pod with its namespace's level, and the problems. Exit status 0 when there
// are no problems, 1 when there are, 2 when the inputs cannot be read. Built by
// scripts/stack/install-k8s-check.sh; run by k8s/admission.test.ts (docs/deploy.md).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type sourceFlag []string

func (s *sourceFlag) String() string     { return strings.Join(*s, " ") }
func (s *sourceFlag) Set(v string) error { *s = append(*s, v); return nil }

func splitSource(v string) (string, []string, error) {
	name, paths, ok := strings.Cut(v, "=")
	if !ok || name == "" || paths == "" {
		return "", nil, fmt.Errorf("want NAME=PATH[,PATH…], got %q", v)
	}
	return name, strings.Split(paths, ","), nil
}

func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			return append(docs, doc)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}

type objectResult struct {
	Object  string   `json:"object"`
	Schemas []string `json:"schemas"`
}

type report struct {
	Objects  []objectResult `json:"objects"`
	Pods     []podResult    `json:"pods"`
	Problems []string       `json:"problems"`
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "aurea-k8s-check:", err)
	os.Exit(2)
}

func main() {
	var kubernetes, crds sourceFlag
	flag.Var(&kubernetes, "kubernetes", "NAME=DIR of a Kubernetes release's OpenAPI v3 documents (repeatable)")
	flag.Var(&crds, "crds", "NAME=FILE[,FILE…] of an operator release's CustomResourceDefinitions (repeatable)")
	flag.Parse()

	checker := &schemaChecker{}
	for _, v := range kubernetes {
		name, dirs, err := splitSource(v)
		if err != nil {
			fail(err)
		}
		set, err := loadOpenAPI(name, dirs[0])
		if err != nil {
			fail(err)
		}
		checker.kubernetes = append(checker.kubernetes, set)
	}
	for _, v := range crds {
		name, files, err := splitSource(v)
		if err != nil {
			fail(err)
		}
		set, err := loadCRDs(name, files)
		if err != nil {
			fail(err)
		}
		checker.crds = append(checker.crds, set)
	}
	if len(checker.kubernetes) == 0 {
		fail(errors.New("at least one --kubernetes source is required"))
	}

	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	rep := report{Objects: []objectResult{}, Pods: []podResult{}, Problems: []string{}}
	var objects []map[string]interface{}
	for i, doc := range splitYAML(input) {
		// Strict YAML: a duplicated key is an error, as with the API server's strict field validation.
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("document %d: %v", i+1, err))
			continue
		}
		var obj map[string]interface{}
		if err := utiljson.Unmarshal(js, &obj); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("document %d: %v", i+1, err))
			continue
		}
		if obj == nil {
			continue
		}
		objects = append(objects, obj)
		ns := str(get(obj, "metadata", "namespace"))
		id := fmt.Sprintf("%s %s %s", str(obj["apiVersion"]), str(obj["kind"]),
			strings.TrimPrefix(ns+"/"+str(get(obj, "metadata", "name")), "/"))
		sources, problems := checker.check(obj)
		rep.Objects = append(rep.Objects, objectResult{Object: id, Schemas: sources})
		for _, p := range problems {
			rep.Problems = append(rep.Problems, id+": "+p)
		}
	}
	pods, problems := checkPodSecurity(objects)
	if pods != nil {
		rep.Pods = pods
	}
	rep.Problems = append(rep.Problems, problems...)

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fail(err)
	}
	if len(rep.Problems) > 0 {
		os.Exit(1)
	}
}
