package compare

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// docValue is one document's score for one metric as a fraction num/den:
// den is 1 for a per-document score, and the number of items for a list
// (IFEval's inst_level_* metrics hold one verdict per instruction, averaged
// over all instructions of all documents).
type docValue struct {
	num, den float64
}

// docValues are one metric's per-document values, sorted by doc id.
type docValues struct {
	ids        []int
	vals       []docValue
	docHash    []string
	targetHash []string
}

// binary reports whether every value is a single 0 or 1.
func (d *docValues) binary() bool {
	for _, v := range d.vals {
		if v.den != 1 || (v.num != 0 && v.num != 1) {
			return false
		}
	}
	return true
}

// leafSamples is what a task's samples file says, by "metric,filter" key.
type leafSamples struct {
	path    string
	metrics map[string]*docValues
}

// standardSampleKeys are the fields of a samples line that are not metrics.
var standardSampleKeys = map[string]bool{
	"doc_id": true, "doc": true, "target": true, "arguments": true, "resps": true,
	"filtered_resps": true, "filter": true, "metrics": true, "doc_hash": true,
	"prompt_hash": true, "target_hash": true,
}

// samplesOf reads the task's samples file once; nil when the run has none.
func (r *Run) samplesOf(task string) (*leafSamples, error) {
	if s, ok := r.samples[task]; ok {
		return s, nil
	}
	path, ok := r.samplesFiles[task]
	if !ok {
		r.samples[task] = nil
		return nil, nil
	}
	s, err := readSamplesFile(path, r.filterNames(task))
	if err != nil {
		return nil, err
	}
	r.samples[task] = s
	return s, nil
}

// filterNames are the task's filter pipelines in the order lm-eval applies
// them, which is the order in which lm-eval v0.4.5 (whose lines carry no
// "filter" field) writes one line per document and filter.
func (r *Run) filterNames(task string) []string {
	fl, _ := r.Summary.Configs[task]["filter_list"].([]any)
	var names []string
	for _, f := range fl {
		if m, ok := f.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	return names
}

type sampleLine struct {
	docID            int
	filter           string
	docHash, tgtHash string
	values           map[string]docValue
}

func readSamplesFile(path string, filters []string) (*leafSamples, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	seen := map[int]int{} // lines per doc id, for files without "filter"
	type key struct {
		metric string
		doc    int
	}
	byKey := map[key]sampleLine{}
	keys := map[string]bool{}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		if len(sc.Bytes()) == 0 {
			continue
		}
		l, err := parseSampleLine(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("compare: %s:%d: %w", path, lineNo, err)
		}
		if l.filter == "" {
			k := seen[l.docID]
			seen[l.docID]++
			if k >= len(filters) {
				return nil, fmt.Errorf("compare: %s:%d: doc %d has more lines than the task has filters (%q) and the lines name no filter", path, lineNo, l.docID, filters)
			}
			l.filter = filters[k]
		}
		for m, v := range l.values {
			mk := m + "," + l.filter
			k := key{mk, l.docID}
			if _, dup := byKey[k]; dup {
				return nil, fmt.Errorf("compare: %s:%d: doc %d appears twice for %s", path, lineNo, l.docID, mk)
			}
			one := l
			one.values = map[string]docValue{m: v}
			byKey[k] = one
			keys[mk] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("compare: %s: %w", path, err)
	}
	out := &leafSamples{path: path, metrics: map[string]*docValues{}}
	for mk := range keys {
		out.metrics[mk] = &docValues{}
	}
	ks := make([]key, 0, len(byKey))
	for k := range byKey {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].doc < ks[j].doc })
	for _, k := range ks {
		l := byKey[k]
		d := out.metrics[k.metric]
		d.ids = append(d.ids, k.doc)
		for _, v := range l.values {
			d.vals = append(d.vals, v)
		}
		d.docHash = append(d.docHash, l.docHash)
		d.targetHash = append(d.targetHash, l.tgtHash)
	}
	return out, nil
}

func parseSampleLine(b []byte) (sampleLine, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return sampleLine{}, err
	}
	var l sampleLine
	if err := json.Unmarshal(raw["doc_id"], &l.docID); err != nil {
		return sampleLine{}, fmt.Errorf("doc_id: %w", err)
	}
	if f, ok := raw["filter"]; ok {
		if err := json.Unmarshal(f, &l.filter); err != nil {
			return sampleLine{}, fmt.Errorf("filter: %w", err)
		}
	}
	json.Unmarshal(raw["doc_hash"], &l.docHash)
	json.Unmarshal(raw["target_hash"], &l.tgtHash)
	var names []string
	if m, ok := raw["metrics"]; ok {
		if err := json.Unmarshal(m, &names); err != nil {
			return sampleLine{}, fmt.Errorf("metrics: %w", err)
		}
	} else {
		for k := range raw {
			if !standardSampleKeys[k] {
				names = append(names, k)
			}
		}
	}
	l.values = map[string]docValue{}
	for _, n := range names {
		v, ok := parseMetricValue(raw[n])
		if ok {
			l.values[n] = v
		} else if _, listed := raw["metrics"]; listed {
			return sampleLine{}, fmt.Errorf("metric %q: value %s is not a number, a boolean or a list of them", n, raw[n])
		}
	}
	return l, nil
}

// parseMetricValue reads a number, a boolean, or a list of them (a list
// counts as its sum over its length); Python's NaN never appears here
// because lm-eval's per-document metrics are finite.
func parseMetricValue(b json.RawMessage) (docValue, bool) {
	if len(b) == 0 {
		return docValue{}, false
	}
	switch b[0] {
	case 't':
		return docValue{1, 1}, string(b) == "true"
	case 'f':
		return docValue{0, 1}, string(b) == "false"
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil || len(items) == 0 {
			return docValue{}, false
		}
		var sum float64
		for _, it := range items {
			v, ok := parseMetricValue(it)
			if !ok || v.den != 1 {
				return docValue{}, false
			}
			sum += v.num
		}
		return docValue{sum, float64(len(items))}, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return docValue{}, false
	}
	return docValue{f, 1}, true
}
