package ifeval

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Prompt is one IFEval row: the prompt and the instructions it carries.
type Prompt struct {
	Key          int
	Prompt       string
	Instructions []Instruction
}

// Instruction is one instruction id with its arguments, after the harness's
// filter {k: v for k, v in kwargs.items() if v}: nulls and other falsy values
// (0, "", [], false) are gone.
type Instruction struct {
	ID   string
	Args map[string]any
}

// PromptFromDoc reads a dataset row (google/IFEval or
// wis-k/instruction-following-eval: key, prompt, instruction_id_list,
// kwargs). Numbers may be int64 (parquet) or float64/json.Number (JSON).
func PromptFromDoc(doc map[string]any) (Prompt, error) {
	var p Prompt
	key, ok := toInt(doc["key"])
	if !ok {
		return p, fmt.Errorf("ifeval: doc has no integer key (got %T)", doc["key"])
	}
	p.Key = key
	if p.Prompt, ok = doc["prompt"].(string); !ok {
		return p, fmt.Errorf("ifeval: doc %d: prompt is %T, not a string", key, doc["prompt"])
	}
	ids, ok := toList(doc["instruction_id_list"])
	if !ok {
		return p, fmt.Errorf("ifeval: doc %d: instruction_id_list is %T, not a list", key, doc["instruction_id_list"])
	}
	kwargs, ok := toList(doc["kwargs"])
	if !ok || len(kwargs) != len(ids) {
		return p, fmt.Errorf("ifeval: doc %d: kwargs must be a list with one entry per instruction (%d ids)", key, len(ids))
	}
	for i, id := range ids {
		s, ok := id.(string)
		if !ok {
			return p, fmt.Errorf("ifeval: doc %d: instruction %d id is %T", key, i, id)
		}
		args := map[string]any{}
		if kwargs[i] != nil {
			m, ok := kwargs[i].(map[string]any)
			if !ok {
				return p, fmt.Errorf("ifeval: doc %d: kwargs[%d] is %T, not a mapping", key, i, kwargs[i])
			}
			for k, v := range m {
				if truthy(v) {
					args[k] = v
				}
			}
		}
		p.Instructions = append(p.Instructions, Instruction{ID: s, Args: args})
	}
	return p, nil
}

// truthy is Python's bool(v) for the values a dataset row can hold.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	if f, ok := toFloat(v); ok {
		return f != 0
	}
	return true
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

func toList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// args reads one instruction's arguments. Every read marks the key as
// known, so that done() can reject arguments the checker does not take (the
// reference raises TypeError on them).
type args struct {
	id   string
	m    map[string]any
	seen map[string]bool
}

func newArgs(in Instruction) *args {
	return &args{id: in.ID, m: in.Args, seen: map[string]bool{}}
}

func (a *args) errorf(format string, v ...any) error {
	return fmt.Errorf("instruction %s: %s", a.id, fmt.Sprintf(format, v...))
}

// missing is the error for an argument that is absent (or falsy): where the
// reference would draw a random value, parity refuses.
func (a *args) missing(key string) error {
	return a.errorf("argument %q is missing or empty (the reference scorer would draw a random value; parity needs it given)", key)
}

func (a *args) str(key string) (string, error) {
	a.seen[key] = true
	v, ok := a.m[key]
	if !ok {
		return "", a.missing(key)
	}
	s, ok := v.(string)
	if !ok {
		return "", a.errorf("argument %q is %T, not a string", key, v)
	}
	return s, nil
}

// nonNegInt reads an integer argument that the reference replaces by a random
// one when it is absent or negative.
func (a *args) nonNegInt(key string) (int, error) {
	a.seen[key] = true
	v, ok := a.m[key]
	if !ok {
		return 0, a.missing(key)
	}
	n, ok := toInt(v)
	if !ok {
		return 0, a.errorf("argument %q is %v (%T), not an integer", key, v, v)
	}
	if n < 0 {
		return 0, a.errorf("argument %q is negative (%d)", key, n)
	}
	return n, nil
}

func (a *args) strs(key string) ([]string, error) {
	a.seen[key] = true
	v, ok := a.m[key]
	if !ok {
		return nil, a.missing(key)
	}
	list, ok := toList(v)
	if !ok {
		return nil, a.errorf("argument %q is %T, not a list", key, v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, a.errorf("argument %q item %d is %T, not a string", key, i, x)
		}
		out[i] = s
	}
	return out, nil
}

type relation int

const (
	lessThan relation = iota
	atLeast
)

func (r relation) holds(n, threshold int) bool {
	if r == lessThan {
		return n < threshold
	}
	return n >= threshold
}

func (a *args) relation(key string) (relation, error) {
	s, err := a.str(key)
	if err != nil {
		return 0, err
	}
	switch s {
	case "less than":
		return lessThan, nil
	case "at least":
		return atLeast, nil
	}
	return 0, a.errorf("argument %q is %q; the supported relations are \"less than\" and \"at least\"", key, s)
}

// done fails on arguments the checker did not read.
func (a *args) done() error {
	var extra []string
	for k := range a.m {
		if !a.seen[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return a.errorf("unexpected arguments %s", strings.Join(extra, ", "))
	}
	return nil
}
