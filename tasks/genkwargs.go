package tasks

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseGenKwargs reads lm-eval's --gen_kwargs string, "k=v,k=v", with its
// value rules (lm_eval.utils.handle_arg_string): true/false (any case) are
// booleans, all-digit values integers, other numbers floats, the rest
// strings. So until can only be one stop string here, as in lm-eval.
func ParseGenKwargs(s string) (map[string]any, error) {
	s = strings.TrimSpace(s)
	out := map[string]any{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.Contains(v, "=") {
			return nil, fmt.Errorf("%q: want key=value", part)
		}
		out[k] = argValue(v)
	}
	return out, nil
}

func argValue(v string) any {
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	if v != "" && strings.Trim(v, "0123456789") == "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && !strings.ContainsAny(strings.ToLower(v), "x_") {
		return f
	}
	return v
}

// applyGenKwargs is generation_kwargs.update(gen_kwargs): given keys replace
// the task's (keeping their place), new ones are appended.
func applyGenKwargs(g GenerationKwargs, kw map[string]any) (GenerationKwargs, error) {
	out := g
	out.Until = append([]string(nil), g.Until...)
	out.order = append([]string(nil), g.order...)
	for _, k := range sortedKeys(kw) {
		v := kw[k]
		switch k {
		case "until":
			switch x := v.(type) {
			case string:
				out.Until = []string{x}
			case []string:
				out.Until = append([]string(nil), x...)
			case []any:
				out.Until = nil
				for _, e := range x {
					s, ok := e.(string)
					if !ok {
						return g, fmt.Errorf("until: want strings, got %s", pyRepr(e))
					}
					out.Until = append(out.Until, s)
				}
			default:
				return g, fmt.Errorf("until: want a string, got %s", pyRepr(v))
			}
		case "do_sample":
			b, ok := v.(bool)
			if !ok {
				return g, fmt.Errorf("do_sample: want true or false, got %s", pyRepr(v))
			}
			out.DoSample = &b
		case "temperature":
			f, ok := pyNumber(v)
			if !ok || f < 0 {
				return g, fmt.Errorf("temperature: want a number >= 0, got %s", pyRepr(v))
			}
			out.Temperature = &f
		case "max_gen_toks":
			n, ok := pyInt(v)
			if !ok || n <= 0 {
				return g, fmt.Errorf("max_gen_toks: want an integer > 0, got %s", pyRepr(v))
			}
			out.MaxGenToks = &n
		default:
			return g, fmt.Errorf("%q is not supported (parity sends until, temperature and max_gen_toks; do_sample picks greedy decoding)", k)
		}
		if !containsStr(out.order, k) {
			out.order = append(out.order, k)
		}
	}
	return out, nil
}
