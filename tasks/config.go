package tasks

import (
	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/scoring"
)

// OutputType is lm-eval's output_type: which requests a task sends.
type OutputType string

// The output types parity runs.
const (
	MultipleChoice OutputType = "multiple_choice"
	GenerateUntil  OutputType = "generate_until"
	Loglikelihood  OutputType = "loglikelihood"
)

// DefaultMaxGenToks is the generation length lm-eval's vLLM and HF backends use
// when a task sets no max_gen_toks (v0.4.5).
const DefaultMaxGenToks = 256

// DefaultFewshotSeed is lm-eval's fewshot_random_seed default.
const DefaultFewshotSeed int64 = 1234

// ProcessDocsFunc is a named Go replacement for an lm-eval process_docs
// Python function; it maps one split's rows to docs.
type ProcessDocsFunc func(docs []datasets.Doc) ([]datasets.Doc, error)

// DocFunc is a named Go replacement for a `!function` doc_to_text,
// doc_to_target or doc_to_choice. It returns what the Python function
// returns: a string, an int, a []string or a []any.
type DocFunc func(doc datasets.Doc) (any, error)

// Functions are the Go functions tasks.yaml may name (process_docs: name, or
// `!function name` on doc_to_*). Python module paths such as
// "utils.process_docs" are fine as names.
type Functions struct {
	ProcessDocs map[string]ProcessDocsFunc
	Doc         map[string]DocFunc
	Results     map[string]ResultsFunc
}

// Config is one task as declared in tasks.yaml, with group overrides applied
// when it comes from Registry.Resolve. Configs are shared: treat them as
// read-only.
type Config struct {
	Name    string
	Version string
	// Summary is the one-line description `parity tasks` prints.
	Summary string
	Tags    []string
	Alias   string
	// Group is the group whose per-task overrides produced this config
	// (empty for a task resolved on its own).
	Group string

	DatasetPath string
	DatasetName string
	// DataFiles maps a split to local files (dataset_kwargs.data_files),
	// already resolved against the tasks file's directory.
	DataFiles map[string][]string
	// DatasetKwargs is dataset_kwargs as written (for results.json).
	DatasetKwargs map[string]any

	// Split names; "" is Python's None.
	TrainingSplit   string
	ValidationSplit string
	TestSplit       string
	FewshotSplit    string

	ProcessDocs string
	processDocs ProcessDocsFunc

	DocToText   *DocField
	DocToTarget *DocField
	DocToChoice *DocField // nil: the task has no choices
	// GenPrefix is gen_prefix (lm-eval >= v0.4.8): the start of the
	// assistant's answer, written into the prompt (nil: none).
	GenPrefix *Template
	// ProcessResults names a Go port of a process_results function; the
	// metrics it returns replace the output type's own.
	ProcessResults string
	processResults ResultsFunc
	// processGenResults is set instead of processResults for a
	// generate_until task: it scores the filtered response.
	processGenResults GenResultsFunc
	// Description is rendered per doc and glued before the first shot.
	Description      *Template
	TargetDelimiter  string
	FewshotDelimiter string
	// NumFewshot is nil when the task leaves it to the run (lm-eval's None).
	NumFewshot *int
	Fewshot    FewshotConfig

	OutputType OutputType
	Generation GenerationKwargs
	Repeats    int

	Filters []FilterConfig
	Metrics []MetricConfig

	ShouldDecontaminate  bool
	DecontaminationQuery string
	Metadata             map[string]any

	// File and Line locate the task's definition.
	File string
	Line int

	raw       []kv   // the task's keys after include/merge, for group overrides
	overrides string // canonical form of the group overrides applied
}

// FewshotConfig is fewshot_config.
type FewshotConfig struct {
	// Sampler is "default" (Python random.sample) or "first_n".
	Sampler string
	// Samples is an inline few-shot pool (used when no fewshot_split is set).
	Samples []datasets.Doc
	// Overrides of the task's doc_to_* for the shots only (nil: the task's).
	DocToText, DocToTarget, DocToChoice *DocField
	set                                 bool
}

// GenerationKwargs is generation_kwargs after lm-eval's TaskConfig defaults.
type GenerationKwargs struct {
	// Until are the stop strings; lm-eval appends the tokenizer's EOS string,
	// which a client of an HTTP server cannot know: the server stops at EOS
	// by itself, so nothing is added here.
	Until []string
	// DoSample is nil when not given.
	DoSample    *bool
	Temperature *float64
	MaxGenToks  *int
	order       []string // keys as written, for results.json
}

// FilterConfig is one entry of filter_list: a named pipeline whose name
// becomes the metric key suffix ("exact_match,strict-match").
type FilterConfig struct {
	Name  string
	Steps []FilterStep
	steps []filterStep
	// collapses is set when a step reduces the repeats to one response
	// (take_first), which makes lm-eval log a string instead of a list.
	collapses bool
}

// FilterStep is one function of a filter pipeline with its parameters.
type FilterStep struct {
	Function string
	Params   map[string]any
}

// MetricConfig is one entry of metric_list.
type MetricConfig struct {
	Metric         string
	Aggregation    string
	HigherIsBetter bool
	// Options are the metric's keyword arguments (ignore_case, ...).
	Options map[string]any
	order   []string
	matcher *scoring.ExactMatcher
}

// Group is a named list of tasks (lm-eval group), optionally with overrides
// per task and an aggregate score.
type Group struct {
	Name    string
	Alias   string
	Summary string
	// Suite marks groups that `parity tasks` lists as runnable suites.
	Suite bool
	// Profiles names the group to run instead under another profile
	// (profile → group), for suites whose tasks differ between profiles.
	Profiles         map[string]string
	Entries          []GroupEntry
	AggregateMetrics []AggregateMetric
	Metadata         map[string]any
	File             string
	Line             int

	leaves   []*Config
	children []string
}

// GroupEntry is one item of a group's task list.
type GroupEntry struct {
	// Name is a task, group or tag.
	Name string
	// Overrides are the task keys the group sets, as written.
	Overrides map[string]any
	line      int
	overrides []kv
}

// AggregateMetric is one entry of aggregate_metric_list.
type AggregateMetric struct {
	Metric       string
	Aggregation  string
	WeightBySize bool
	FilterList   []string
}

// Leaves are the group's leaf task configs, overrides applied, nested groups
// flattened (lm-eval aggregates groups over their leaves).
func (g *Group) Leaves() []*Config { return g.leaves }

// Subtasks are the names of the group's direct members, tags expanded to
// their tasks (lm-eval's group_subtasks).
func (g *Group) Subtasks() []string { return g.children }

// Version is the group's metadata version, "" when it has none.
func (g *Group) Version() string {
	if v, ok := g.Metadata["version"]; ok {
		return pyStr(v)
	}
	return ""
}
