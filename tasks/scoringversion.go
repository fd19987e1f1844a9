package tasks

import (
	"fmt"
	"strings"
)

// mathResultsPrefix names the MATH-hard process_results family; its
// suffixes are the scoring versions of tasks.md §4.3.4.
const mathResultsPrefix = "leaderboard_math.process_results"

// SetMathScoring switches a MATH-hard task to another scoring version: "v1"
// (SymPy-only equivalence, lm-eval v0.4.5), "v2" (string or equivalence,
// v0.4.6-v0.4.8) or "v3" (math_verify, approximated). Other tasks are left
// alone; it reports whether c was changed.
func (c *Config) SetMathScoring(version string) (bool, error) {
	if !strings.HasPrefix(c.ProcessResults, mathResultsPrefix) {
		return false, nil
	}
	name := mathResultsPrefix
	switch version {
	case "v1", "v3":
		name += "_" + version
	case "v2":
	default:
		return false, fmt.Errorf("MATH scoring version %q: want v1, v2 or v3", version)
	}
	fn, ok := goFuncs.genResults[name]
	if !ok {
		return false, fmt.Errorf("MATH scoring version %q: %s is not registered", version, name)
	}
	c.ProcessResults = name
	c.processGenResults = fn
	return true, nil
}
