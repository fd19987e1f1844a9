package compare

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/pyrandom"
)

// The fixture of this file is a small real-looking comparison: an lm-eval
// v0.4.5 run (the baseline, OUTPUT/<model>/results_<date>.json with
// samples_<task>_<date>.jsonl beside it) of arc_challenge (25-shot), gsm8k
// (5-shot, two filters, lines without a "filter" field as v0.4.5 writes
// them) and the mmlu group (two subgroups, three subjects), and a parity run
// of the same tasks (the candidate: results.json, samples_<task>.jsonl with
// "filter" and "metrics", doc_hash over sorted keys). The per-document
// scores come from a seeded generator; the test derives its expectations
// from that generator, not from the package.

const (
	fixtureDate = "2024-09-26T09-15-00.123456"
	baseModel   = "meta-llama/Llama-3.1-8B-Instruct"
	candModel   = "Llama-3.1-8B-Instruct-W4A16"
)

type fixtureTask struct {
	name   string
	docs   int
	orig   int
	nshot  int
	kind   string // "mc" or "gen"
	pBase  float64
	pDown  float64 // P(right → wrong)
	pUp    float64 // P(wrong → right)
	parent string
}

var fixtureTasks = []fixtureTask{
	{name: "arc_challenge", docs: 60, orig: 1172, nshot: 25, kind: "mc", pBase: 0.6, pDown: 0.3, pUp: 0.03},
	{name: "gsm8k", docs: 40, orig: 1319, nshot: 5, kind: "gen", pBase: 0.5, pDown: 0.1, pUp: 0.1},
	{name: "mmlu_abstract_algebra", docs: 25, orig: 100, nshot: 5, kind: "mc", pBase: 0.4, pDown: 0.15, pUp: 0.1, parent: "mmlu_stem"},
	{name: "mmlu_anatomy", docs: 25, orig: 135, nshot: 5, kind: "mc", pBase: 0.7, pDown: 0.15, pUp: 0.1, parent: "mmlu_stem"},
	{name: "mmlu_formal_logic", docs: 20, orig: 126, nshot: 5, kind: "mc", pBase: 0.5, pDown: 0.15, pUp: 0.1, parent: "mmlu_humanities"},
}

// fixtureScores are a task's per-document binary scores for both runs and
// metrics: acc and acc_norm for multiple choice, strict-match and
// flexible-extract for generation.
type fixtureScores struct {
	base, cand [2][]float64
}

func scoresOf(ft fixtureTask, seed int64) fixtureScores {
	g := pyrandom.New(seed)
	var s fixtureScores
	for m := range 2 {
		for range ft.docs {
			b := 0.0
			if g.Random() < ft.pBase+0.05*float64(m) {
				b = 1
			}
			c := b
			switch u := g.Random(); {
			case b == 1 && u < ft.pDown:
				c = 0
			case b == 0 && u < ft.pUp:
				c = 1
			}
			s.base[m] = append(s.base[m], b)
			s.cand[m] = append(s.cand[m], c)
		}
	}
	return s
}

func fixtureSeed(i int) int64 { return int64(1000 + i) }

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// orderedJSON writes an object as Python's json.dumps(…, ensure_ascii=False)
// does: keys in the given order (a dict keeps insertion order), ", " and
// ": " separators, floats with a decimal point; nested maps with sorted
// keys unless they are an ordered value themselves.
func orderedJSON(keys []string, vals map[string]any) string {
	var b strings.Builder
	writeObject(&b, keys, vals)
	return b.String()
}

// ordered is an object whose key order is part of the fixture.
type ordered struct {
	keys []string
	vals map[string]any
}

func writeObject(b *strings.Builder, keys []string, vals map[string]any) {
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		writePy(b, k)
		b.WriteString(": ")
		writePy(b, vals[k])
	}
	b.WriteString("}")
}

func writePy(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e16 {
			b.WriteString(strconv.FormatFloat(x, 'f', 1, 64))
		} else {
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(x)
		b.WriteString(strings.TrimSuffix(buf.String(), "\n"))
	case []string:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, e)
		}
		b.WriteString("]")
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, e)
		}
		b.WriteString("]")
	case ordered:
		writeObject(b, x.keys, x.vals)
	case map[string]any:
		writeObject(b, sortedKeys(x), x)
	default:
		panic(fmt.Sprintf("writePy: %T", v))
	}
}

type fixtureDoc struct {
	keys   []string // dataset column order
	doc    map[string]any
	target any
	prompt string
	conts  []string
}

func docOf(ft fixtureTask, i int) fixtureDoc {
	switch {
	case ft.name == "arc_challenge":
		d := map[string]any{"id": fmt.Sprintf("Mercury_%07d", 7000000+i*37), "question": fmt.Sprintf("Which statement about sample %d is true?", i),
			"choices":   ordered{[]string{"text", "label"}, map[string]any{"text": []string{"it melts", "it floats", "it sinks", "it glows"}, "label": []string{"A", "B", "C", "D"}}},
			"answerKey": "ABCD"[i%4 : i%4+1]}
		return fixtureDoc{keys: []string{"id", "question", "choices", "answerKey"}, doc: d, target: i % 4,
			prompt: fmt.Sprintf("Question: Which statement about sample %d is true?\nAnswer:", i), conts: []string{" it melts", " it floats", " it sinks", " it glows"}}
	case ft.kind == "gen":
		ans := fmt.Sprintf("%d", 3*i+1)
		d := map[string]any{"question": fmt.Sprintf("Tom has %d apples and buys %d more. How many?", 3*i, 1), "answer": fmt.Sprintf("%d+1=<<%d+1=%s>>%s\n#### %s", 3*i, 3*i, ans, ans, ans)}
		return fixtureDoc{keys: []string{"question", "answer"}, doc: d, target: d["answer"], prompt: "Question: " + d["question"].(string) + "\nAnswer:"}
	}
	subject := strings.TrimPrefix(ft.name, "mmlu_")
	d := map[string]any{"question": fmt.Sprintf("%s question %d", subject, i), "subject": subject, "choices": []string{"1", "2", "3", "4"}, "answer": i % 4}
	return fixtureDoc{keys: []string{"question", "subject", "choices", "answer"}, doc: d, target: i % 4,
		prompt: fmt.Sprintf("%s question %d\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:", subject, i), conts: []string{" A", " B", " C", " D"}}
}

var genKwargs = ordered{[]string{"until", "do_sample", "temperature"}, map[string]any{"until": []string{"Question:", "</s>", "<|im_end|>"}, "do_sample": false, "temperature": 0.0}}

// sampleLines renders one task's samples file, lm-eval v0.4.5 style
// (lmeval) or parity's.
func sampleLines(ft fixtureTask, scores [2][]float64, lmeval bool) []byte {
	var b bytes.Buffer
	write := func(m map[string]any, keys []string) {
		b.WriteString(orderedJSON(keys, m))
		b.WriteByte('\n')
	}
	filters := []string{"none"}
	metrics := []string{"acc", "acc_norm"}
	if ft.kind == "gen" {
		filters = []string{"strict-match", "flexible-extract"}
		metrics = []string{"exact_match"}
	}
	if strings.HasPrefix(ft.name, "mmlu_") {
		metrics = []string{"acc"}
	}
	for fi, filter := range filters {
		for i := range ft.docs {
			d := docOf(ft, i)
			m := map[string]any{"doc_id": i, "doc": ordered{d.keys, d.doc}, "target": d.target}
			docJSON := orderedJSON(d.keys, d.doc)
			if !lmeval {
				// parity's Go map has lost the column order.
				docJSON = orderedJSON(sortedKeys(d.doc), d.doc)
				m["doc"] = d.doc
			}
			m["doc_hash"] = sha(docJSON)
			m["prompt_hash"] = sha(d.prompt)
			m["target_hash"] = sha(fmt.Sprint(d.target))
			if ft.kind == "gen" {
				ans := d.doc["answer"].(string)
				ans = ans[strings.LastIndex(ans, " ")+1:]
				reply := " The answer is " + ans + ".\n#### " + ans
				if scores[fi][i] == 0 {
					reply = " I think it is 7."
				}
				if lmeval {
					m["arguments"] = []any{[]any{d.prompt, genKwargs}}
				} else {
					m["arguments"] = map[string]any{"gen_args_0": map[string]any{"arg_0": d.prompt, "arg_1": genKwargs}}
				}
				m["resps"] = []any{[]any{reply}}
				m["filtered_resps"] = []any{ans}
				m["exact_match"] = scores[fi][i]
			} else {
				var args, resps, filtered []any
				gen := map[string]any{}
				for ci, c := range d.conts {
					ll := fmt.Sprintf("%.4f", -1.5-float64((ci*7+i)%5))
					if lmeval {
						args = append(args, []any{d.prompt, c})
					} else {
						gen[fmt.Sprintf("gen_args_%d", ci)] = map[string]any{"arg_0": d.prompt, "arg_1": c}
					}
					resps = append(resps, []any{[]any{ll, "False"}})
					filtered = append(filtered, []any{ll, "False"})
				}
				if lmeval {
					m["arguments"] = args
				} else {
					m["arguments"] = gen
				}
				m["resps"] = resps
				m["filtered_resps"] = filtered
				for mi, name := range metrics {
					m[name] = scores[mi][i]
				}
			}
			keys := []string{"doc_id", "doc", "target", "arguments", "resps", "filtered_resps"}
			if !lmeval {
				m["filter"] = filter
				ms := []any{}
				for _, n := range metrics {
					ms = append(ms, n)
				}
				m["metrics"] = ms
				keys = append(keys, "filter", "metrics")
			}
			keys = append(keys, "doc_hash", "prompt_hash", "target_hash")
			keys = append(keys, metrics...)
			write(m, keys)
		}
	}
	return b.Bytes()
}

func sortedKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// fixtureRuns builds both runs' files: name → content, relative to
// testdata/lmeval.
func fixtureRuns(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	var lmTasks, parityTasks []lmTask
	for i, ft := range fixtureTasks {
		sc := scoresOf(ft, fixtureSeed(i))
		metricsOf := func(s [2][]float64) map[string]float64 {
			switch {
			case ft.kind == "gen":
				return map[string]float64{"exact_match,strict-match": mean(s[0]), "exact_match,flexible-extract": mean(s[1])}
			case strings.HasPrefix(ft.name, "mmlu_"):
				return map[string]float64{"acc,none": mean(s[0])}
			}
			return map[string]float64{"acc,none": mean(s[0]), "acc_norm,none": mean(s[1])}
		}
		task := func(s [2][]float64) lmTask {
			lt := lmTask{name: ft.name, metrics: metricsOf(s), nshot: ft.nshot, version: 1.0, docs: ft.docs, original: ft.orig, outputType: "multiple_choice"}
			if ft.kind == "gen" {
				lt.version, lt.outputType, lt.filters = 3.0, "generate_until", []string{"strict-match", "flexible-extract"}
			}
			if ft.name == "arc_challenge" {
				lt.config = map[string]any{"fewshot_split": "validation"}
			}
			return lt
		}
		lmTasks = append(lmTasks, task(sc.base))
		parityTasks = append(parityTasks, task(sc.cand))
		files[filepath.Join("base", "meta-llama__Llama-3.1-8B-Instruct", "samples_"+ft.name+"_"+fixtureDate+".jsonl")] = sampleLines(ft, sc.base, true)
		files[filepath.Join("cand-parity", "samples_"+ft.name+".jsonl")] = sampleLines(ft, sc.cand, false)
	}
	groups := func(side int) []lmGroup {
		micro := func(leaves ...string) map[string]float64 {
			var s, n float64
			for _, l := range leaves {
				for i, ft := range fixtureTasks {
					if ft.name != l {
						continue
					}
					sc := scoresOf(ft, fixtureSeed(i))
					v := sc.base[0]
					if side == 1 {
						v = sc.cand[0]
					}
					for _, x := range v {
						s += x
					}
					n += float64(len(v))
				}
			}
			return map[string]float64{"acc,none": s / n}
		}
		return []lmGroup{
			{name: "mmlu", subtasks: []string{"mmlu_humanities", "mmlu_stem"}, metrics: micro("mmlu_abstract_algebra", "mmlu_anatomy", "mmlu_formal_logic"), version: 2.0},
			{name: "mmlu_humanities", subtasks: []string{"mmlu_formal_logic"}, metrics: micro("mmlu_formal_logic"), version: 2.0},
			{name: "mmlu_stem", subtasks: []string{"mmlu_abstract_algebra", "mmlu_anatomy"}, metrics: micro("mmlu_abstract_algebra", "mmlu_anatomy"), version: 2.0},
		}
	}
	base := lmevalResults(lmRun{model: baseModel, date: 1727342100.5}, lmTasks, groups(0))
	b := marshalFixture(t, base)
	// Python's json.dump writes NaN where lm-eval could not compute a
	// standard error; Go cannot produce it, so one is put in by hand.
	b = bytes.Replace(b, []byte(`"acc_stderr,none": "N/A"`), []byte(`"acc_stderr,none": NaN`), 1)
	files[filepath.Join("base", "meta-llama__Llama-3.1-8B-Instruct", "results_"+fixtureDate+".json")] = b
	cand := lmevalResults(lmRun{model: candModel}, parityTasks, groups(1))
	for _, k := range []string{"chat_template", "fewshot_as_multiturn", "system_instruction", "system_instruction_sha", "model_source",
		"model_name_sanitized", "git_hash", "start_time", "end_time"} {
		delete(cand, k)
	}
	cand["config"] = map[string]any{"model": "openai-completions", "model_args": "model=" + candModel + ",base_url=http://127.0.0.1:8000/v1",
		"batch_size": 32, "limit": 60, "num_fewshot": nil, "tasks": []string{"arc_challenge", "gsm8k", "mmlu"}}
	cand["parity"] = map[string]any{"version": "0.1.0-dev", "model": candModel, "server": "http://127.0.0.1:8000/v1",
		"switches": map[string]any{"profile": "paper", "apply_chat_template": false, "chat": false, "fewshot_as_multiturn": false, "fewshot_seed": 1234},
		"start":    "2026-01-02T03:04:05Z", "end": "2026-01-02T03:14:05Z", "requests": map[string]any{"sent": 1234}}
	files[filepath.Join("cand-parity", "results.json")] = marshalFixture(t, cand)
	return files
}

func checkLMEvalFixtures(t *testing.T) (base, cand string) {
	t.Helper()
	for name, data := range fixtureRuns(t) {
		checkFixture(t, filepath.Join("testdata", "lmeval", name), data)
	}
	return filepath.Join("testdata", "lmeval", "base"), filepath.Join("testdata", "lmeval", "cand-parity")
}

func loadFixturePair(t *testing.T) []*Run {
	t.Helper()
	b, c := checkLMEvalFixtures(t)
	var runs []*Run
	for _, p := range []string{b, c} {
		r, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

func TestLoadLMEvalOutput(t *testing.T) {
	runs := loadFixturePair(t)
	base, cand := runs[0], runs[1]
	if base.Kind != "lm-eval" || base.Label != baseModel {
		t.Errorf("baseline: kind %q label %q", base.Kind, base.Label)
	}
	if cand.Kind != "parity" || cand.Label != candModel {
		t.Errorf("candidate: kind %q label %q", cand.Kind, cand.Label)
	}
	if want := filepath.Join("testdata", "lmeval", "base", "meta-llama__Llama-3.1-8B-Instruct", "results_"+fixtureDate+".json"); base.Path != want {
		t.Errorf("baseline file %s, want %s", base.Path, want)
	}
	for _, r := range runs {
		if len(r.samplesFiles) != len(fixtureTasks) {
			t.Errorf("%s: samples files %v", r.Label, r.samplesFiles)
		}
	}
	if got := base.leaves("mmlu", nil); !cmp.Equal(got, []string{"mmlu_abstract_algebra", "mmlu_anatomy", "mmlu_formal_logic"}) {
		t.Errorf("mmlu leaves %v", got)
	}
	// The NaN standard error read as no value, the score beside it intact.
	if v, ok := base.Summary.Value("arc_challenge", "acc,none"); !ok || v <= 0 {
		t.Errorf("arc_challenge acc = %v, %v", v, ok)
	}
	// v0.4.5 lines carry no filter: the second line of a doc is the second
	// filter of the config's filter_list.
	for side, r := range runs {
		s, err := r.samplesOf("gsm8k")
		if err != nil {
			t.Fatal(err)
		}
		sc := scoresOf(fixtureTasks[1], fixtureSeed(1))
		want := [][2][]float64{sc.base, sc.cand}[side]
		for fi, key := range []string{"exact_match,strict-match", "exact_match,flexible-extract"} {
			d := s.metrics[key]
			if d == nil || len(d.vals) != 40 {
				t.Fatalf("%s %s: %+v", r.Label, key, d)
			}
			for i, v := range d.vals {
				if v.num != want[fi][i] || v.den != 1 {
					t.Fatalf("%s %s doc %d: %v, want %v", r.Label, key, i, v, want[fi][i])
				}
			}
		}
	}
}

// expectedFlips counts right→wrong and wrong→right from the generator.
func expectedFlips(names []string, metric int) (rw, wr, docs int) {
	for i, ft := range fixtureTasks {
		for _, n := range names {
			if ft.name != n {
				continue
			}
			sc := scoresOf(ft, fixtureSeed(i))
			for j := range sc.base[metric] {
				b, c := sc.base[metric][j], sc.cand[metric][j]
				switch {
				case b == 1 && c == 0:
					rw++
				case b == 0 && c == 1:
					wr++
				}
			}
			docs += ft.docs
		}
	}
	return rw, wr, docs
}

func TestCompareLMEvalBaselineWithParityCandidate(t *testing.T) {
	runs := loadFixturePair(t)
	rep, err := Compare(runs, Options{Resamples: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Suite != TasksSuite {
		t.Fatalf("tables %+v", rep.Tables)
	}
	tb := rep.Tables[0]
	var ids []string
	for _, c := range tb.Columns {
		ids = append(ids, c.ID)
	}
	// mmlu stands for its subgroups and subjects.
	if diff := cmp.Diff([]string{"arc_challenge", "gsm8k", "mmlu"}, ids); diff != "" {
		t.Fatalf("columns (-want +got):\n%s", diff)
	}
	want := map[string]struct {
		leaves []string
		metric int
		test   string
	}{
		"arc_challenge": {[]string{"arc_challenge"}, 1, "mcnemar"}, // acc_norm
		"gsm8k":         {[]string{"gsm8k"}, 0, "mcnemar"},         // strict-match
		"mmlu":          {[]string{"mmlu_abstract_algebra", "mmlu_anatomy", "mmlu_formal_logic"}, 0, "mcnemar"},
	}
	cmpd := tb.Comparisons[0]
	for _, d := range cmpd.Columns {
		w := want[d.ID]
		rw, wr, docs := expectedFlips(w.leaves, w.metric)
		if !d.Paired || d.Docs != docs || d.RightToWrong == nil || *d.RightToWrong != rw || *d.WrongToRight != wr {
			t.Errorf("%s: paired %v docs %d flips %v/%v, want %d docs %d/%d", d.ID, d.Paired, d.Docs, d.RightToWrong, d.WrongToRight, docs, rw, wr)
		}
		if d.Test != w.test || math.Abs(float64(d.P)-McNemar(rw, wr)) > 1e-15 {
			t.Errorf("%s: test %s p %v, want McNemar(%d, %d) = %v", d.ID, d.Test, d.P, rw, wr, McNemar(rw, wr))
		}
		if d.Significant != (McNemar(rw, wr) < 0.05) || d.WithinNoise == d.Significant {
			t.Errorf("%s: significant %v within noise %v at p %v", d.ID, d.Significant, d.WithinNoise, d.P)
		}
		// The interval is around the observed difference.
		if !(float64(d.DeltaCI[0]) <= float64(d.Delta) && float64(d.Delta) <= float64(d.DeltaCI[1])) {
			t.Errorf("%s: Δ %v outside its interval %v", d.ID, d.Delta, d.DeltaCI)
		}
		// Δ is in table points: the score difference × 100.
		if want := 100 * float64(wr-rw) / float64(docs); math.Abs(float64(d.Delta)-want) > 1e-9 {
			t.Errorf("%s: Δ %v, want %v", d.ID, d.Delta, want)
		}
	}
	if !cmpd.Columns[0].Significant {
		t.Errorf("arc_challenge lost %d docs: the fixture is built to make that significant", *cmpd.Columns[0].RightToWrong)
	}
	if !cmpd.Average.Paired || cmpd.Average.Test != "bootstrap" {
		t.Errorf("average: %+v", cmpd.Average)
	}
	// doc_hash differs (key order) while targets agree: a note, no mismatch.
	if len(rep.Mismatches) != 0 {
		t.Errorf("mismatches %v", rep.Mismatches)
	}
	if !strings.Contains(strings.Join(tb.Notes, "\n"), "doc_hash differs from the baseline's on 170 paired documents (of arc_challenge, gsm8k, mmlu_abstract_algebra, mmlu_anatomy, mmlu_formal_logic)") {
		t.Errorf("notes %q", tb.Notes)
	}
	// A repeated comparison is identical: the bootstrap is seeded.
	again, err := Compare(loadFixturePair(t), Options{Resamples: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, again, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("second comparison differs:\n%s", diff)
	}
}

func TestCompareExplicitPartialSuite(t *testing.T) {
	rep, err := Compare(loadFixturePair(t), Options{Suites: []string{"openllm"}, Resamples: -1})
	if err != nil {
		t.Fatal(err)
	}
	tb := rep.Tables[0]
	if tb.Suite != "openllm" || len(tb.Columns) != 3 {
		t.Fatalf("table %s with %d columns", tb.Suite, len(tb.Columns))
	}
	if diff := cmp.Diff([]string{"HellaSwag 10-shot", "TruthfulQA 0-shot", "Winogrande 5-shot"}, tb.Missing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(tb.Notes, "\n"), "partial suite") {
		t.Errorf("no partial-suite note: %q", tb.Notes)
	}
	// The bootstrap is off: McNemar still tests the binary columns.
	for _, d := range tb.Comparisons[0].Columns {
		if d.Test != "mcnemar" || d.DeltaCI[0].Valid() {
			t.Errorf("%s: test %q interval %v", d.ID, d.Test, d.DeltaCI)
		}
	}
	if _, err := Compare(loadFixturePair(t), Options{Suites: []string{"leaderboard"}}); err == nil || !strings.Contains(err.Error(), "none of its tasks") {
		t.Errorf("suite without tasks: %v", err)
	}
	if _, err := Compare(loadFixturePair(t), Options{Suites: []string{"v3"}}); err == nil || !strings.Contains(err.Error(), "unknown suite") {
		t.Errorf("unknown suite: %v", err)
	}
}

func TestMetricOverride(t *testing.T) {
	rep, err := Compare(loadFixturePair(t), Options{Metrics: map[string]string{"gsm8k": "exact_match,flexible-extract", "arc_challenge": "acc,none"}, Resamples: -1})
	if err != nil {
		t.Fatal(err)
	}
	tb := rep.Tables[0]
	if got := tb.Columns[1].Sources; !cmp.Equal(got, []string{"gsm8k: exact_match,flexible-extract"}) {
		t.Errorf("gsm8k sources %v", got)
	}
	sc := scoresOf(fixtureTasks[1], fixtureSeed(1))
	if got, want := float64(tb.Rows[0].Scores[1]), 100*mean(sc.base[1]); math.Abs(got-want) > 1e-9 {
		t.Errorf("gsm8k flexible-extract %v, want %v", got, want)
	}
	rw, wr, _ := expectedFlips([]string{"arc_challenge"}, 0)
	if d := tb.Comparisons[0].Columns[0]; *d.RightToWrong != rw || *d.WrongToRight != wr {
		t.Errorf("arc acc flips %d/%d, want %d/%d", *d.RightToWrong, *d.WrongToRight, rw, wr)
	}
}

// copyFixture copies the candidate's folder so a test can change it.
func copyFixture(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func editJSON(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCompareRefusesMismatches(t *testing.T) {
	baseDir, candDir := checkLMEvalFixtures(t)
	tests := []struct {
		name  string
		edit  func(t *testing.T, dir string)
		wants []string
	}{
		{"few-shot count", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) { m["n-shot"].(map[string]any)["gsm8k"] = 8 })
		}, []string{"gsm8k: n-shot: baseline 5, candidate 8"}},
		{"task version", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) { m["versions"].(map[string]any)["arc_challenge"] = "2.0" })
		}, []string{"arc_challenge: version: baseline 1, candidate 2"}},
		{"chat template", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) {
				m["parity"].(map[string]any)["switches"].(map[string]any)["apply_chat_template"] = true
			})
		}, []string{"run: chat template: baseline not applied, candidate applied"}},
		{"document count", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) {
				m["n-samples"].(map[string]any)["mmlu_anatomy"] = map[string]any{"original": 135, "effective": 24}
			})
			path := filepath.Join(dir, "samples_mmlu_anatomy.jsonl")
			b, _ := os.ReadFile(path)
			lines := bytes.SplitAfter(b, []byte("\n"))
			os.WriteFile(path, bytes.Join(lines[1:], nil), 0o644)
		}, []string{"mmlu_anatomy: documents: baseline 25, candidate 24", "mmlu_anatomy: sampled documents: baseline 25 docs (1 not in the candidate), candidate 24 docs (0 not in the baseline)"}},
		{"fewshot split", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) {
				m["configs"].(map[string]any)["arc_challenge"].(map[string]any)["fewshot_split"] = "train"
			})
		}, []string{"arc_challenge: fewshot_split: baseline validation, candidate train"}},
		{"incomplete run", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) { m["parity"].(map[string]any)["incomplete"] = true })
		}, []string{"run: completeness: baseline complete, candidate incomplete"}},
		{"missing task", func(t *testing.T, dir string) {
			editJSON(t, filepath.Join(dir, "results.json"), func(m map[string]any) { delete(m["results"].(map[string]any), "gsm8k") })
		}, []string{"gsm8k: scores: baseline present, candidate missing"}},
	}
	// With AllowMismatch, a column one input lacks leaves the average.
	allowed := map[string]func(t *testing.T, rep *Report){
		"missing task": func(t *testing.T, rep *Report) {
			tb := rep.Tables[0]
			if diff := cmp.Diff([]string{"arc_challenge", "mmlu"}, tb.Averaged); diff != "" {
				t.Errorf("averaged columns (-want +got):\n%s", diff)
			}
			if d := tb.Comparisons[0].Columns[1]; d.Candidate.Valid() || d.Paired {
				t.Errorf("gsm8k without a candidate score: %+v", d)
			}
			want := (float64(tb.Rows[0].Scores[0]) + float64(tb.Rows[0].Scores[2])) / 2
			if math.Abs(float64(tb.Rows[0].Average)-want) > 1e-9 {
				t.Errorf("baseline average %v, want %v over the shared columns", tb.Rows[0].Average, want)
			}
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, candDir)
			tt.edit(t, dir)
			load := func() []*Run {
				var runs []*Run
				for _, p := range []string{baseDir, dir} {
					r, err := Load(p)
					if err != nil {
						t.Fatal(err)
					}
					runs = append(runs, r)
				}
				return runs
			}
			_, err := Compare(load(), Options{Resamples: -1})
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a MismatchError", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			rep, err := Compare(load(), Options{Resamples: -1, AllowMismatch: true})
			if err != nil {
				t.Fatalf("with AllowMismatch: %v", err)
			}
			if len(rep.Mismatches) != len(me.Mismatches) {
				t.Errorf("report lists %d mismatches, the error %d", len(rep.Mismatches), len(me.Mismatches))
			}
			if check := allowed[tt.name]; check != nil {
				check(t, rep)
			}
		})
	}
}
