package tasks

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/scoring"
)

// ParseOptions configures Parse.
type ParseOptions struct {
	// BaseDir resolves relative dataset_kwargs.data_files paths; default: the
	// directory of the file name given to Parse.
	BaseDir string
	// Functions are the Go functions the file may name.
	Functions Functions
}

// taskKeys are the task keys parity reads (lm-eval TaskConfig names plus
// summary and version).
var taskKeys = []string{
	"task", "version", "summary", "tag", "task_alias", "include",
	"dataset_path", "dataset_name", "dataset_kwargs",
	"training_split", "validation_split", "test_split", "fewshot_split",
	"process_docs", "doc_to_text", "doc_to_target", "doc_to_choice",
	"description", "target_delimiter", "fewshot_delimiter", "num_fewshot",
	"fewshot_config", "output_type", "generation_kwargs", "repeats",
	"filter_list", "metric_list", "should_decontaminate",
	"doc_to_decontamination_query", "metadata", "gen_prefix", "process_results",
}

// unsupportedKeys are lm-eval keys parity knows but does not implement; they
// get a clearer message than "unknown key".
var unsupportedKeys = map[string]string{
	"use_prompt":       "use_prompt (promptsource) is not supported",
	"doc_to_image":     "doc_to_image (multimodal tasks) is not supported",
	"group":            "group belongs in the groups: list, not in a task",
	"aggregate_metric": "aggregate_metric_list belongs to a group",
}

var groupKeys = []string{"group", "group_alias", "summary", "suite", "profiles", "task", "aggregate_metric_list", "metadata"}

// Registry is a parsed tasks file: tasks, groups and tags by name.
type Registry struct {
	file   string
	tasks  []*Config
	byName map[string]*Config
	groups []*Group
	gByNm  map[string]*Group
	tags   map[string][]*Config
	tagOrd []string
}

// Tasks returns the tasks in file order.
func (r *Registry) Tasks() []*Config { return r.tasks }

// Groups returns the groups in file order.
func (r *Registry) Groups() []*Group { return r.groups }

// Task looks a task up by name.
func (r *Registry) Task(name string) (*Config, bool) {
	c, ok := r.byName[name]
	return c, ok
}

// Group looks a group up by name.
func (r *Registry) Group(name string) (*Group, bool) {
	g, ok := r.gByNm[name]
	return g, ok
}

// Tags returns the tag names in order of first use.
func (r *Registry) Tags() []string { return r.tagOrd }

type rawTask struct {
	name  string
	node  *yaml.Node
	pairs []kv
	flat  []kv
	state int // 0 new, 1 resolving, 2 done
	cfg   *Config
}

type parser struct {
	nodeReader
	opts   ParseOptions
	raws   []*rawTask
	rawBy  map[string]*rawTask
	groups map[string]*groupRaw
	// leafCount is the number of group leaves made so far.
	leafCount int
}

type groupRaw struct {
	g     *Group
	state int
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads a tasks file. filename is used in messages and, by default, to
// resolve relative data file paths. Every problem found is reported, each as
// "FILE:LINE: task "NAME": what is wrong", in a ParseErrors.
func Parse(filename string, data []byte, opts ParseOptions) (*Registry, error) {
	if opts.BaseDir == "" {
		opts.BaseDir = filepath.Dir(filename)
	}
	p := &parser{nodeReader: nodeReader{file: filename, budget: maxNodes}, opts: opts, rawBy: map[string]*rawTask{}, groups: map[string]*groupRaw{}}
	reg := p.parse(data)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	return reg, nil
}

func (p *parser) parse(data []byte) *Registry {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		msg := strings.TrimSpace(err.Error())
		for _, line := range strings.Split(msg, "\n") {
			line = strings.TrimSpace(line)
			if m := yamlLine.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[1])
				p.errs = append(p.errs, &ParseError{File: p.file, Line: n, Msg: "YAML: " + m[2]})
			} else if line != "yaml: unmarshal errors:" && line != "" {
				p.errs = append(p.errs, &ParseError{File: p.file, Msg: strings.Replace(line, "yaml: ", "YAML: ", 1)})
			}
		}
		return nil
	}
	if len(root.Content) == 0 {
		p.errorf(nil, "", "file is empty")
		return nil
	}
	top, ok := p.pairs(root.Content[0], "")
	if !ok {
		return nil
	}
	var taskList, groupList *yaml.Node
	for _, kv := range top {
		switch kv.key {
		case "tasks":
			taskList = kv.val
		case "groups":
			groupList = kv.val
		default:
			p.unknownKey(kv, "", []string{"tasks", "groups"})
		}
	}
	reg := &Registry{file: p.file, byName: map[string]*Config{}, gByNm: map[string]*Group{}, tags: map[string][]*Config{}}
	if taskList != nil {
		p.collectTasks(taskList)
	}
	for _, rt := range p.raws {
		if isTemplateTask(rt.name) {
			// Only included by other tasks (lm-eval's _*_template_yaml).
			p.flatten(rt, 0)
			continue
		}
		if p.flatten(rt, 0) {
			rt.cfg, _ = p.decodeTask(rt.flat, rt.node, fmt.Sprintf("task %q", rt.name))
		}
		if rt.cfg != nil {
			reg.tasks = append(reg.tasks, rt.cfg)
			reg.byName[rt.name] = rt.cfg
			for _, tag := range rt.cfg.Tags {
				if _, ok := reg.tags[tag]; !ok {
					reg.tagOrd = append(reg.tagOrd, tag)
				}
				reg.tags[tag] = append(reg.tags[tag], rt.cfg)
			}
		}
	}
	if groupList != nil {
		p.collectGroups(groupList, reg)
	}
	for _, tag := range reg.tagOrd {
		if _, ok := p.rawBy[tag]; ok {
			p.errorf(p.rawBy[tag].node, fmt.Sprintf("task %q", tag), "name is also used as a tag")
		}
		if g, ok := p.groups[tag]; ok {
			p.errorf(nil, fmt.Sprintf("group %q", tag), "name is also used as a tag (line %d)", g.g.Line)
		}
	}
	for _, g := range reg.groups {
		p.groupLeaves(p.groups[g.Name], reg, 0)
	}
	for _, g := range reg.groups {
		for _, prof := range sortedKeys(g.Profiles) {
			if _, err := ParseProfile(prof); err != nil {
				p.errorf(&yaml.Node{Line: g.Line}, fmt.Sprintf("group %q", g.Name), "profiles: %v", err)
			}
			if _, ok := reg.gByNm[g.Profiles[prof]]; !ok {
				p.errorf(&yaml.Node{Line: g.Line}, fmt.Sprintf("group %q", g.Name), "profiles.%s: unknown group %q", prof, g.Profiles[prof])
			}
		}
	}
	return reg
}

// isTemplateTask reports whether a task entry is only a base for include
// (its name starts with "_"), like lm-eval's _default_template_yaml files:
// it is neither checked on its own nor registered.
func isTemplateTask(name string) bool { return strings.HasPrefix(name, "_") }

func (p *parser) collectTasks(list *yaml.Node) {
	list = deref(list)
	if list.Kind != yaml.SequenceNode {
		p.errorf(list, "", "tasks: want a list of tasks, got %s", kindName(list))
		return
	}
	for i, n := range list.Content {
		subject := fmt.Sprintf("tasks[%d]", i)
		if name := peekKey(n, "task"); name != "" {
			subject = fmt.Sprintf("task %q", name)
		}
		pairs, ok := p.pairs(n, subject)
		if !ok {
			continue
		}
		name := ""
		for _, kv := range pairs {
			if kv.key == "task" {
				name, ok = p.str(kv.val, subject, "task")
			}
		}
		if name == "" {
			if ok {
				p.errorf(n, subject, "missing key \"task\" (the task's name)")
			}
			continue
		}
		if prev, dup := p.rawBy[name]; dup {
			p.errorf(n, fmt.Sprintf("task %q", name), "defined twice (first at line %d)", prev.node.Line)
			continue
		}
		rt := &rawTask{name: name, node: deref(n), pairs: pairs}
		p.raws = append(p.raws, rt)
		p.rawBy[name] = rt
	}
}

// flatten applies `include: other_task`: the named task's keys, overridden by
// this task's own.
func (p *parser) flatten(rt *rawTask, depth int) bool {
	switch rt.state {
	case 2:
		return rt.flat != nil
	case 1:
		p.errorf(rt.node, fmt.Sprintf("task %q", rt.name), "include cycle")
		return false
	}
	rt.state = 1
	defer func() { rt.state = 2 }()
	var include *kv
	own := make([]kv, 0, len(rt.pairs))
	for i := range rt.pairs {
		if rt.pairs[i].key == "include" {
			include = &rt.pairs[i]
			continue
		}
		own = append(own, rt.pairs[i])
	}
	if include == nil {
		rt.flat = own
		return true
	}
	subject := fmt.Sprintf("task %q", rt.name)
	name, ok := p.str(include.val, subject, "include")
	if !ok {
		return false
	}
	base, ok := p.rawBy[name]
	if !ok {
		hint := ""
		if m := closest(name, p.taskNames(), 3); len(m) > 0 {
			hint = fmt.Sprintf(" (did you mean %s?)", quoteJoin(m))
		}
		p.errorf(include.val, subject, "include: unknown task %q%s; include names another task of this file, not a file", name, hint)
		return false
	}
	if !p.flatten(base, depth+1) {
		return false
	}
	rt.flat = overlay(base.flat, own)
	return true
}

// peekKey returns a mapping's plain string value for key, for messages
// written before the mapping is decoded.
func peekKey(n *yaml.Node, key string) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := deref(n.Content[i]), deref(n.Content[i+1]); k != nil && v != nil && k.Value == key && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

func (p *parser) taskNames() []string {
	out := make([]string, 0, len(p.raws))
	for _, r := range p.raws {
		out = append(out, r.name)
	}
	return out
}

// overlay returns base with the keys of top replacing or appended.
func overlay(base, top []kv) []kv {
	out := make([]kv, 0, len(base)+len(top))
	idx := map[string]int{}
	for _, b := range base {
		idx[b.key] = len(out)
		out = append(out, b)
	}
	for _, t := range top {
		if i, ok := idx[t.key]; ok {
			out[i] = t
			continue
		}
		idx[t.key] = len(out)
		out = append(out, t)
	}
	return out
}

// decodeTask builds a Config from a task's keys. Problems are recorded; the
// config is returned only when there were none.
func (p *parser) decodeTask(pairs []kv, node *yaml.Node, subject string) (*Config, bool) {
	before := len(p.errs)
	c := &Config{
		File:             p.file,
		Line:             node.Line,
		TargetDelimiter:  " ",
		FewshotDelimiter: "\n\n",
		OutputType:       GenerateUntil,
		Repeats:          1,
		Fewshot:          FewshotConfig{Sampler: "default"},
		raw:              pairs,
	}
	var (
		genNode, filterNode, metricNode, fewshotNode, typeNode *yaml.Node
		dataFiles                                              *yaml.Node
	)
	present := map[string]bool{}
	for _, kv := range pairs {
		present[kv.key] = true
		n := kv.val
		switch kv.key {
		case "task":
			c.Name, _ = p.str(n, subject, kv.key)
		case "version":
			c.Version, _ = p.scalarText(n, subject, kv.key)
		case "summary":
			c.Summary, _ = p.str(n, subject, kv.key)
		case "tag":
			c.Tags, _ = p.strList(n, subject, kv.key)
		case "task_alias":
			c.Alias, _ = p.str(n, subject, kv.key)
		case "dataset_path":
			c.DatasetPath, _ = p.str(n, subject, kv.key)
		case "dataset_name":
			c.DatasetName, _ = p.optStr(n, subject, kv.key)
		case "dataset_kwargs":
			dataFiles = p.datasetKwargs(c, n, subject)
		case "training_split":
			c.TrainingSplit, _ = p.optStr(n, subject, kv.key)
		case "validation_split":
			c.ValidationSplit, _ = p.optStr(n, subject, kv.key)
		case "test_split":
			c.TestSplit, _ = p.optStr(n, subject, kv.key)
		case "fewshot_split":
			c.FewshotSplit, _ = p.optStr(n, subject, kv.key)
		case "process_docs":
			p.processDocs(c, n, subject)
		case "doc_to_text":
			c.DocToText = p.docField(n, subject, kv.key)
		case "doc_to_target":
			c.DocToTarget = p.docField(n, subject, kv.key)
		case "doc_to_choice":
			c.DocToChoice = p.docField(n, subject, kv.key)
		case "description":
			if s, ok := p.str(n, subject, kv.key); ok && s != "" {
				c.Description = p.template(n, s, subject, kv.key)
			}
		case "gen_prefix":
			if d := deref(n); d != nil && d.ShortTag() == "!!null" {
				continue
			}
			if s, ok := p.str(n, subject, kv.key); ok {
				c.GenPrefix = p.template(n, s, subject, kv.key)
			}
		case "process_results":
			p.processResults(c, n, subject)
		case "target_delimiter":
			c.TargetDelimiter, _ = p.str(n, subject, kv.key)
		case "fewshot_delimiter":
			c.FewshotDelimiter, _ = p.str(n, subject, kv.key)
		case "num_fewshot":
			if d := deref(n); d != nil && d.ShortTag() == "!!null" {
				c.NumFewshot = nil
			} else if k, ok := p.integer(n, subject, kv.key); ok {
				if k < 0 {
					p.errorf(n, subject, "num_fewshot: must be >= 0, got %d", k)
				}
				c.NumFewshot = &k
			}
		case "fewshot_config":
			fewshotNode = n
		case "output_type":
			typeNode = n
		case "generation_kwargs":
			genNode = n
		case "repeats":
			if k, ok := p.integer(n, subject, kv.key); ok && k != 1 {
				p.errorf(n, subject, "repeats: only 1 is supported, got %d", k)
			}
		case "filter_list":
			filterNode = n
		case "metric_list":
			metricNode = n
		case "should_decontaminate":
			c.ShouldDecontaminate, _ = p.boolean(n, subject, kv.key)
		case "doc_to_decontamination_query":
			c.DecontaminationQuery, _ = p.str(n, subject, kv.key)
		case "metadata":
			if v, ok := p.value(n, subject, kv.key); ok {
				m, isMap := v.(map[string]any)
				if !isMap {
					p.errorf(n, subject, "metadata: want a mapping, got %s", kindName(n))
				}
				c.Metadata = m
			}
		default:
			if msg, ok := unsupportedKeys[kv.key]; ok {
				p.errorf(kv.kNode, subject, "%s", msg)
			} else {
				p.unknownKey(kv, subject, taskKeys)
			}
		}
	}
	if typeNode != nil {
		if s, ok := p.str(typeNode, subject, "output_type"); ok {
			switch OutputType(s) {
			case MultipleChoice, GenerateUntil, Loglikelihood:
				c.OutputType = OutputType(s)
			case "loglikelihood_rolling":
				p.errorf(typeNode, subject, "output_type: loglikelihood_rolling is not supported")
			default:
				p.errorf(typeNode, subject, "output_type: unknown %q (want multiple_choice, generate_until or loglikelihood)", s)
			}
		}
	}
	if fewshotNode != nil {
		p.fewshotConfig(c, fewshotNode, subject)
	}
	p.generationKwargs(c, genNode, subject)
	p.filterList(c, filterNode, subject)
	p.metricList(c, metricNode, subject)
	p.checkTask(c, node, subject, dataFiles, present)
	if len(p.errs) > before {
		return nil, false
	}
	return c, true
}

// checkTask reports what is missing or inconsistent; keys that are present
// but bad were reported where they were read.
func (p *parser) checkTask(c *Config, node *yaml.Node, subject string, dataFiles *yaml.Node, present map[string]bool) {
	for _, k := range []string{"version", "dataset_path", "doc_to_text", "doc_to_target"} {
		if !present[k] {
			what := ""
			if k == "version" {
				what = " (the task's version string, reported in results)"
			}
			p.errorf(node, subject, "missing key %q%s", k, what)
		}
	}
	if c.TestSplit == "" && c.ValidationSplit == "" && !present["test_split"] && !present["validation_split"] {
		p.errorf(node, subject, "needs test_split or validation_split (the docs to evaluate)")
	}
	if c.processResults != nil && c.OutputType == GenerateUntil {
		p.errorf(node, subject, "process_results: only multiple_choice and loglikelihood tasks can use one")
	}
	if c.processGenResults != nil && c.OutputType != GenerateUntil {
		p.errorf(node, subject, "process_results: %s scores generations; output_type is %s", c.ProcessResults, c.OutputType)
	}
	if c.OutputType == MultipleChoice && !present["doc_to_choice"] {
		p.errorf(node, subject, "output_type multiple_choice needs doc_to_choice")
	}
	if c.DocToText != nil && c.DocToText.kind == fieldList {
		p.errorf(node, subject, "doc_to_text: a list is not allowed (want a template, an int or a !function)")
	}
	if c.DocToChoice != nil && c.DocToChoice.kind == fieldInt {
		p.errorf(node, subject, "doc_to_choice: an int is not allowed (want a template, a list or a !function)")
	}
	if len(c.DataFiles) > 0 {
		for _, s := range []struct{ key, split string }{
			{"training_split", c.TrainingSplit}, {"validation_split", c.ValidationSplit},
			{"test_split", c.TestSplit}, {"fewshot_split", c.FewshotSplit},
		} {
			if s.split != "" && len(c.DataFiles[s.split]) == 0 {
				p.errorf(dataFiles, subject, "dataset_kwargs.data_files has no files for %s %q", s.key, s.split)
			}
		}
	}
}

func (p *parser) template(n *yaml.Node, src, subject, key string) *Template {
	t, err := CompileTemplate(src)
	if err != nil {
		p.errorf(n, subject, "%s: %v", key, err)
		return nil
	}
	return t
}

// docField reads doc_to_text/doc_to_target/doc_to_choice.
func (p *parser) docField(n *yaml.Node, subject, key string) *DocField {
	d := deref(n)
	if d.Tag == "!function" {
		name := d.Value
		fn, ok := p.opts.Functions.Doc[name]
		if !ok {
			fn, ok = goFuncs.doc[name]
		}
		if !ok {
			p.errorf(n, subject, "%s: unknown function %q (not registered in ParseOptions.Functions.Doc)", key, name)
			return nil
		}
		return &DocField{kind: fieldFunc, fn: fn, name: name}
	}
	switch d.Kind {
	case yaml.ScalarNode:
		switch d.ShortTag() {
		case "!!int":
			k, ok := p.integer(d, subject, key)
			if !ok {
				return nil
			}
			return &DocField{kind: fieldInt, n: k}
		case "!!str":
			t := p.template(n, d.Value, subject, key)
			if t == nil {
				return nil
			}
			return &DocField{kind: fieldTemplate, tmpl: t}
		}
	case yaml.SequenceNode:
		v, ok := p.value(d, subject, key)
		if !ok {
			return nil
		}
		return &DocField{kind: fieldList, list: v.([]any)}
	case yaml.MappingNode:
		if key != "doc_to_choice" {
			break
		}
		// lm-eval uses a dict's values as the choices, in order.
		ps, ok := p.pairs(d, subject)
		if !ok {
			return nil
		}
		var list []any
		for _, kv := range ps {
			v, ok := p.value(kv.val, subject, key+"."+kv.key)
			if !ok {
				return nil
			}
			list = append(list, v)
		}
		return &DocField{kind: fieldList, list: list}
	}
	p.errorf(n, subject, "%s: want a template string, an int, a list or !function, got %s", key, kindName(n))
	return nil
}

func (p *parser) processDocs(c *Config, n *yaml.Node, subject string) {
	d := deref(n)
	if d == nil || d.Kind != yaml.ScalarNode || (d.ShortTag() != "!!str" && d.Tag != "!function") {
		p.errorf(n, subject, "process_docs: want a function name, got %s", kindName(n))
		return
	}
	fn, ok := p.opts.Functions.ProcessDocs[d.Value]
	if !ok {
		fn, ok = goFuncs.processDocs[d.Value]
	}
	if !ok {
		known := append(sortedKeys(p.opts.Functions.ProcessDocs), sortedKeys(goFuncs.processDocs)...)
		hint := ""
		if m := closest(d.Value, known, 3); len(m) > 0 {
			hint = fmt.Sprintf(" (did you mean %s?)", quoteJoin(m))
		}
		p.errorf(n, subject, "process_docs: unknown function %q%s", d.Value, hint)
		return
	}
	c.ProcessDocs = d.Value
	c.processDocs = fn
}

func (p *parser) processResults(c *Config, n *yaml.Node, subject string) {
	d := deref(n)
	if d == nil || d.Kind != yaml.ScalarNode || (d.ShortTag() != "!!str" && d.Tag != "!function") {
		p.errorf(n, subject, "process_results: want a function name, got %s", kindName(n))
		return
	}
	fn, ok := p.opts.Functions.Results[d.Value]
	if !ok {
		fn, ok = goFuncs.results[d.Value]
	}
	if gen, isGen := goFuncs.genResults[d.Value]; !ok && isGen {
		c.ProcessResults = d.Value
		c.processGenResults = gen
		return
	}
	if !ok {
		known := append(sortedKeys(p.opts.Functions.Results), sortedKeys(goFuncs.results)...)
		known = append(known, sortedKeys(goFuncs.genResults)...)
		hint := ""
		if m := closest(d.Value, known, 3); len(m) > 0 {
			hint = fmt.Sprintf(" (did you mean %s?)", quoteJoin(m))
		}
		p.errorf(n, subject, "process_results: unknown function %q%s; tasks with custom scoring need a Go port", d.Value, hint)
		return
	}
	c.ProcessResults = d.Value
	c.processResults = fn
}

func (p *parser) datasetKwargs(c *Config, n *yaml.Node, subject string) *yaml.Node {
	ps, ok := p.pairs(n, subject)
	if !ok {
		return nil
	}
	var filesNode *yaml.Node
	c.DatasetKwargs = map[string]any{}
	for _, kv := range ps {
		switch kv.key {
		case "data_files":
			filesNode = kv.val
			v, _ := p.value(kv.val, subject, "dataset_kwargs.data_files")
			c.DatasetKwargs[kv.key] = v
			c.DataFiles = p.dataFiles(kv.val, subject)
		case "trust_remote_code":
			// Meaningless without Python loading scripts; accepted so lm-eval
			// files port unchanged.
			b, _ := p.boolean(kv.val, subject, "dataset_kwargs.trust_remote_code")
			c.DatasetKwargs[kv.key] = b
		default:
			p.unknownKey(kv, subject+": dataset_kwargs", []string{"data_files", "trust_remote_code"})
		}
	}
	return filesNode
}

// dataFiles reads split → file or files. A bare file or list means the
// "train" split, as in Hugging Face datasets.
func (p *parser) dataFiles(n *yaml.Node, subject string) map[string][]string {
	out := map[string][]string{}
	resolve := func(fs []string) []string {
		for i, f := range fs {
			if !filepath.IsAbs(f) {
				fs[i] = filepath.Join(p.opts.BaseDir, f)
			}
		}
		return fs
	}
	d := deref(n)
	if d != nil && d.Kind == yaml.MappingNode {
		ps, _ := p.pairs(d, subject)
		for _, kv := range ps {
			fs, ok := p.strList(kv.val, subject, "dataset_kwargs.data_files."+kv.key)
			if ok {
				out[kv.key] = resolve(fs)
			}
		}
		return out
	}
	if fs, ok := p.strList(n, subject, "dataset_kwargs.data_files"); ok {
		out["train"] = resolve(fs)
	}
	return out
}

func (p *parser) fewshotConfig(c *Config, n *yaml.Node, subject string) {
	ps, ok := p.pairs(n, subject)
	if !ok {
		return
	}
	c.Fewshot.set = true
	for _, kv := range ps {
		switch kv.key {
		case "sampler":
			if s, ok := p.str(kv.val, subject, "fewshot_config.sampler"); ok {
				if s != "default" && s != "first_n" {
					p.errorf(kv.val, subject, "fewshot_config.sampler: unknown %q (want default or first_n)", s)
				}
				c.Fewshot.Sampler = s
			}
		case "samples":
			v, ok := p.value(kv.val, subject, "fewshot_config.samples")
			if !ok {
				continue
			}
			list, isList := v.([]any)
			if !isList {
				p.errorf(kv.val, subject, "fewshot_config.samples: want a list of docs, got %s", kindName(kv.val))
				continue
			}
			for i, e := range list {
				m, isMap := e.(map[string]any)
				if !isMap {
					p.errorf(kv.val, subject, "fewshot_config.samples[%d]: want a mapping (a doc)", i)
					continue
				}
				c.Fewshot.Samples = append(c.Fewshot.Samples, datasets.Doc(m))
			}
			if c.Fewshot.Samples == nil {
				c.Fewshot.Samples = []datasets.Doc{}
			}
		case "doc_to_text":
			c.Fewshot.DocToText = p.docField(kv.val, subject, "fewshot_config.doc_to_text")
		case "doc_to_target":
			c.Fewshot.DocToTarget = p.docField(kv.val, subject, "fewshot_config.doc_to_target")
		case "doc_to_choice":
			c.Fewshot.DocToChoice = p.docField(kv.val, subject, "fewshot_config.doc_to_choice")
		default:
			p.unknownKey(kv, subject+": fewshot_config", []string{"sampler", "samples", "doc_to_text", "doc_to_target", "doc_to_choice"})
		}
	}
}

func (p *parser) generationKwargs(c *Config, n *yaml.Node, subject string) {
	g := &c.Generation
	if n == nil {
		// TaskConfig.__post_init__: greedy until the few-shot delimiter.
		if c.OutputType == GenerateUntil {
			f := false
			g.Until = []string{c.FewshotDelimiter}
			g.DoSample = &f
			g.order = []string{"until", "do_sample"}
		}
		return
	}
	if c.OutputType != GenerateUntil {
		p.errorf(n, subject, "generation_kwargs: only generate_until tasks generate (output_type is %s)", c.OutputType)
		return
	}
	ps, ok := p.pairs(n, subject)
	if !ok {
		return
	}
	hasUntil := false
	for _, kv := range ps {
		key := "generation_kwargs." + kv.key
		switch kv.key {
		case "until":
			hasUntil = true
			g.Until, _ = p.strList(kv.val, subject, key)
		case "do_sample":
			if b, ok := p.boolean(kv.val, subject, key); ok {
				g.DoSample = &b
			}
		case "temperature":
			if f, ok := p.number(kv.val, subject, key); ok {
				g.Temperature = &f
			}
		case "max_gen_toks":
			if k, ok := p.integer(kv.val, subject, key); ok {
				if k <= 0 {
					p.errorf(kv.val, subject, "%s: must be > 0, got %d", key, k)
				}
				g.MaxGenToks = &k
			}
		default:
			p.unknownKey(kv, subject+": generation_kwargs", []string{"until", "do_sample", "temperature", "max_gen_toks"})
			continue
		}
		g.order = append(g.order, kv.key)
	}
	if !hasUntil {
		g.Until = []string{c.FewshotDelimiter}
		g.order = append(g.order, "until")
	}
}

func (p *parser) filterList(c *Config, n *yaml.Node, subject string) {
	if n == nil {
		c.Filters = []FilterConfig{{
			Name:      "none",
			Steps:     []FilterStep{{Function: "take_first"}},
			steps:     []filterStep{fromScoring(scoring.TakeFirst())},
			collapses: true,
		}}
		return
	}
	if c.OutputType != GenerateUntil {
		p.errorf(n, subject, "filter_list: filters only apply to generate_until tasks (output_type is %s)", c.OutputType)
		return
	}
	d := deref(n)
	if d.Kind != yaml.SequenceNode || len(d.Content) == 0 {
		p.errorf(n, subject, "filter_list: want a non-empty list of {name, filter}, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i, e := range d.Content {
		ps, ok := p.pairs(e, subject)
		if !ok {
			continue
		}
		fc := FilterConfig{}
		var steps *yaml.Node
		for _, kv := range ps {
			switch kv.key {
			case "name":
				fc.Name, _ = p.str(kv.val, subject, fmt.Sprintf("filter_list[%d].name", i))
			case "filter":
				steps = kv.val
			default:
				p.unknownKey(kv, subject+": filter_list", []string{"name", "filter"})
			}
		}
		if fc.Name == "" {
			p.errorf(e, subject, "filter_list[%d]: missing name", i)
			continue
		}
		if seen[fc.Name] {
			p.errorf(e, subject, "filter_list: name %q used twice", fc.Name)
		}
		seen[fc.Name] = true
		sd := deref(steps)
		if sd == nil || sd.Kind != yaml.SequenceNode || len(sd.Content) == 0 {
			p.errorf(e, subject, "filter %q: want a non-empty list of steps under \"filter\"", fc.Name)
			continue
		}
		for j, sn := range sd.Content {
			sps, ok := p.pairs(sn, subject)
			if !ok {
				continue
			}
			step := FilterStep{Params: map[string]any{}}
			for _, kv := range sps {
				if kv.key == "function" {
					step.Function, _ = p.str(kv.val, subject, "function")
					continue
				}
				v, _ := p.value(kv.val, subject, kv.key)
				step.Params[kv.key] = v
			}
			if step.Function == "" {
				p.errorf(sn, subject, "filter %q step %d: missing \"function\"", fc.Name, j)
				continue
			}
			f, err := newFilterStep(step.Function, step.Params)
			if err != nil {
				p.errorf(sn, subject, "filter %q: %v", fc.Name, err)
				continue
			}
			if step.Function == "take_first" {
				fc.collapses = true
			}
			fc.Steps = append(fc.Steps, step)
			fc.steps = append(fc.steps, f)
		}
		c.Filters = append(c.Filters, fc)
	}
}

// metricsFor lists the metrics parity computes per output type, and lm-eval's
// defaults when a task has no metric_list.
var (
	metricsFor = map[OutputType][]string{
		MultipleChoice: {"acc", "acc_norm", "exact_match"},
		GenerateUntil:  {"exact_match"},
		Loglikelihood:  {"acc"},
	}
	defaultMetrics = map[OutputType][]string{
		MultipleChoice: {"acc", "acc_norm"},
		GenerateUntil:  {"exact_match"},
		Loglikelihood:  {"acc"},
	}
	exactMatchOptions = []string{"ignore_case", "ignore_punctuation", "ignore_numbers", "regexes_to_ignore"}
)

func (p *parser) metricList(c *Config, n *yaml.Node, subject string) {
	if n == nil {
		for _, m := range defaultMetrics[c.OutputType] {
			mc := MetricConfig{Metric: m, Aggregation: "mean", HigherIsBetter: true}
			if m == "exact_match" && c.OutputType == GenerateUntil {
				mc.matcher, _ = scoring.NewExactMatcher(scoring.ExactMatchOptions{})
			}
			c.Metrics = append(c.Metrics, mc)
		}
		return
	}
	d := deref(n)
	if d.Kind != yaml.SequenceNode || len(d.Content) == 0 {
		p.errorf(n, subject, "metric_list: want a non-empty list of {metric, ...}, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for _, e := range d.Content {
		ps, ok := p.pairs(e, subject)
		if !ok {
			continue
		}
		mc := MetricConfig{Aggregation: "mean", HigherIsBetter: true, Options: map[string]any{}}
		var optNodes []kv
		var metricNode *yaml.Node
		for _, kv := range ps {
			switch kv.key {
			case "metric":
				metricNode = kv.val
				mc.Metric, _ = p.str(kv.val, subject, "metric")
			case "aggregation":
				if s, ok := p.str(kv.val, subject, "aggregation"); ok {
					if s != "mean" {
						p.errorf(kv.val, subject, "metric_list: aggregation %q is not supported (only mean)", s)
					}
					mc.Aggregation = s
				}
			case "higher_is_better":
				mc.HigherIsBetter, _ = p.boolean(kv.val, subject, "higher_is_better")
			default:
				optNodes = append(optNodes, kv)
			}
			mc.order = append(mc.order, kv.key)
		}
		if mc.Metric == "" {
			if metricNode == nil {
				p.errorf(e, subject, "metric_list: entry without \"metric\"")
			}
			continue
		}
		if !containsStr(metricsFor[c.OutputType], mc.Metric) {
			all := []string{"acc", "acc_norm", "exact_match"}
			hint := ""
			if !containsStr(all, mc.Metric) {
				if m := closest(mc.Metric, all, 2); len(m) > 0 {
					hint = fmt.Sprintf(" (did you mean %s?)", quoteJoin(m))
				}
				p.errorf(metricNode, subject, "unknown metric %q%s", mc.Metric, hint)
			} else {
				p.errorf(metricNode, subject, "metric %q is not computed for output_type %s (have %s)", mc.Metric, c.OutputType, strings.Join(metricsFor[c.OutputType], ", "))
			}
			continue
		}
		if seen[mc.Metric] {
			p.errorf(metricNode, subject, "metric %q listed twice", mc.Metric)
		}
		seen[mc.Metric] = true
		emo := scoring.ExactMatchOptions{}
		for _, kv := range optNodes {
			isEM := mc.Metric == "exact_match" && c.OutputType == GenerateUntil
			if !isEM || !containsStr(exactMatchOptions, kv.key) {
				if isEM {
					p.unknownKey(kv, subject+": metric exact_match", append([]string{"metric", "aggregation", "higher_is_better"}, exactMatchOptions...))
				} else {
					p.errorf(kv.kNode, subject, "metric %q takes no option %q", mc.Metric, kv.key)
				}
				continue
			}
			key := kv.key
			switch key {
			case "ignore_case":
				emo.IgnoreCase, _ = p.boolean(kv.val, subject, key)
				mc.Options[key] = emo.IgnoreCase
			case "ignore_punctuation":
				emo.IgnorePunctuation, _ = p.boolean(kv.val, subject, key)
				mc.Options[key] = emo.IgnorePunctuation
			case "ignore_numbers":
				emo.IgnoreNumbers, _ = p.boolean(kv.val, subject, key)
				mc.Options[key] = emo.IgnoreNumbers
			case "regexes_to_ignore":
				if d := deref(kv.val); d != nil && d.ShortTag() == "!!null" {
					mc.Options[key] = nil
					continue
				}
				rs, ok := p.strList(kv.val, subject, key)
				if ok {
					emo.RegexesToIgnore = rs
					mc.Options[key] = rs
				}
			}
		}
		if mc.Metric == "exact_match" && c.OutputType == GenerateUntil {
			m, err := scoring.NewExactMatcher(emo)
			if err != nil {
				p.errorf(metricNode, subject, "metric exact_match: %v", err)
				continue
			}
			mc.matcher = m
		}
		c.Metrics = append(c.Metrics, mc)
	}
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
