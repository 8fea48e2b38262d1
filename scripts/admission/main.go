// Command admission runs, offline, the admission checks a Knative cluster applies to the
// manifests: it reads YAML documents (files, or stdin), and for every object it knows it prints
// "admitted" or "refused" with upstream's own message. Exit status 1 when any object is refused,
// 2 when the input cannot be read.
//
//	kubectl kustomize knative | admission
//	admission -json knative/base/services/buy.yaml
//
// Knative Services go through knative.dev/serving's SetDefaults then Validate (service.go);
// KafkaSources through the rules eventing-kafka-broker's webhook applies (kafkasource.go). Other
// kinds are listed as skipped.
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

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Result is one object's verdict; Message holds upstream's text when refused.
type Result struct {
	Source    string `json:"source"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Verdict   string `json:"verdict"` // admitted | refused | skipped
	Message   string `json:"message,omitempty"`
}

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// checkers by "apiVersion kind": each decodes the document strictly and returns the refusal.
var checkers = map[string]func(doc []byte) error{
	"serving.knative.dev/v1 Service":          checkService,
	"sources.knative.dev/v1 KafkaSource":      checkKafkaSource,
	"sources.knative.dev/v1beta1 KafkaSource": checkKafkaSource,
}

func main() {
	asJSON := flag.Bool("json", false, "one JSON object per line instead of text")
	flag.Parse()
	sources := flag.Args()
	if len(sources) == 0 {
		sources = []string{"-"}
	}
	refused := false
	for _, source := range sources {
		results, err := checkSource(source)
		if err != nil {
			fmt.Fprintf(os.Stderr, "admission: %s: %v\n", source, err)
			os.Exit(2)
		}
		for _, r := range results {
			refused = refused || r.Verdict == "refused"
			print(r, *asJSON)
		}
	}
	if refused {
		os.Exit(1)
	}
}

func checkSource(source string) ([]Result, error) {
	var in io.Reader = os.Stdin
	if source != "-" {
		f, err := os.Open(source)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var results []Result
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return results, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var h header
		if err := yaml.Unmarshal(doc, &h); err != nil {
			return nil, fmt.Errorf("document %d: %w", len(results)+1, err)
		}
		if h.Kind == "" {
			continue // a comment-only document
		}
		r := Result{Source: source, Kind: h.Kind, Namespace: h.Metadata.Namespace, Name: h.Metadata.Name}
		r.Verdict = "skipped"
		if check, known := checkers[h.APIVersion+" "+h.Kind]; known {
			r.Verdict = "admitted"
			if err := check(doc); err != nil {
				r.Verdict, r.Message = "refused", err.Error()
			}
		}
		results = append(results, r)
	}
}

func print(r Result, asJSON bool) {
	if asJSON {
		line, _ := json.Marshal(r)
		fmt.Println(string(line))
		return
	}
	fmt.Printf("%-8s %s %s/%s\n", r.Verdict, r.Kind, r.Namespace, r.Name)
	if r.Message != "" {
		for _, line := range bytes.Split([]byte(r.Message), []byte("\n")) {
			fmt.Printf("         %s\n", line)
		}
	}
}
