package tasks

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/parity-eval/parity/scoring"
)

func (p *parser) collectGroups(list *yaml.Node, reg *Registry) {
	list = deref(list)
	if list.Kind != yaml.SequenceNode {
		p.errorf(list, "", "groups: want a list of groups, got %s", kindName(list))
		return
	}
	for i, n := range list.Content {
		subject := fmt.Sprintf("groups[%d]", i)
		ps, ok := p.pairs(n, subject)
		if !ok {
			continue
		}
		g := &Group{File: p.file, Line: deref(n).Line}
		for _, kv := range ps {
			if kv.key == "group" {
				g.Name, _ = p.str(kv.val, subject, "group")
			}
		}
		if g.Name == "" {
			p.errorf(n, subject, "missing key \"group\" (the group's name)")
			continue
		}
		subject = fmt.Sprintf("group %q", g.Name)
		if rt, dup := p.rawBy[g.Name]; dup {
			p.errorf(n, subject, "name already used by the task at line %d", rt.node.Line)
			continue
		}
		if prev, dup := p.groups[g.Name]; dup {
			p.errorf(n, subject, "defined twice (first at line %d)", prev.g.Line)
			continue
		}
		var taskNode *yaml.Node
		for _, kv := range ps {
			switch kv.key {
			case "group":
			case "group_alias":
				g.Alias, _ = p.str(kv.val, subject, kv.key)
			case "summary":
				g.Summary, _ = p.str(kv.val, subject, kv.key)
			case "suite":
				g.Suite, _ = p.boolean(kv.val, subject, kv.key)
			case "profiles":
				if ps, ok := p.pairs(kv.val, subject); ok {
					g.Profiles = map[string]string{}
					for _, pr := range ps {
						if name, ok := p.str(pr.val, subject, "profiles."+pr.key); ok {
							g.Profiles[pr.key] = name
						}
					}
				}
			case "task":
				taskNode = kv.val
				p.groupEntries(g, kv.val, subject)
			case "aggregate_metric_list":
				p.aggregateMetrics(g, kv.val, subject)
			case "metadata":
				if v, ok := p.value(kv.val, subject, kv.key); ok {
					m, isMap := v.(map[string]any)
					if !isMap {
						p.errorf(kv.val, subject, "metadata: want a mapping, got %s", kindName(kv.val))
					}
					g.Metadata = m
				}
			default:
				p.unknownKey(kv, subject, groupKeys)
			}
		}
		if taskNode == nil {
			p.errorf(n, subject, "missing key \"task\" (the group's list of tasks)")
		}
		// Registered even when it had errors, so its entries are checked too
		// (Parse returns no registry when there were errors).
		p.groups[g.Name] = &groupRaw{g: g}
		reg.groups = append(reg.groups, g)
		reg.gByNm[g.Name] = g
	}
}

func (p *parser) groupEntries(g *Group, n *yaml.Node, subject string) {
	d := deref(n)
	items := []*yaml.Node{d}
	if d.Kind == yaml.SequenceNode {
		items = d.Content
	}
	for i, e := range items {
		de := deref(e)
		key := fmt.Sprintf("task[%d]", i)
		switch de.Kind {
		case yaml.ScalarNode:
			if name, ok := p.str(de, subject, key); ok {
				g.Entries = append(g.Entries, GroupEntry{Name: name, line: de.Line})
			}
		case yaml.MappingNode:
			ps, ok := p.pairs(de, subject)
			if !ok {
				continue
			}
			ge := GroupEntry{line: de.Line, Overrides: map[string]any{}}
			for _, kv := range ps {
				switch kv.key {
				case "task":
					ge.Name, _ = p.str(kv.val, subject, key+".task")
				case "include", "version":
					p.errorf(kv.kNode, subject, "%s: %q cannot be overridden by a group", key, kv.key)
				default:
					if !containsStr(taskKeys, kv.key) {
						p.unknownKey(kv, subject+": "+key, taskKeys)
						continue
					}
					v, _ := p.value(kv.val, subject, kv.key)
					ge.Overrides[kv.key] = v
					ge.overrides = append(ge.overrides, kv)
				}
			}
			if ge.Name == "" {
				p.errorf(de, subject, "%s: missing key \"task\"", key)
				continue
			}
			g.Entries = append(g.Entries, ge)
		default:
			p.errorf(e, subject, "%s: want a task name or {task: name, overrides...}, got %s", key, kindName(e))
		}
	}
	if len(items) == 0 {
		p.errorf(n, subject, "task: the list is empty")
	}
}

func (p *parser) aggregateMetrics(g *Group, n *yaml.Node, subject string) {
	d := deref(n)
	if d.Kind != yaml.SequenceNode {
		p.errorf(n, subject, "aggregate_metric_list: want a list, got %s", kindName(n))
		return
	}
	for _, e := range d.Content {
		ps, ok := p.pairs(e, subject)
		if !ok {
			continue
		}
		am := AggregateMetric{Aggregation: "mean", FilterList: []string{"none"}}
		for _, kv := range ps {
			key := "aggregate_metric_list." + kv.key
			switch kv.key {
			case "metric":
				am.Metric, _ = p.str(kv.val, subject, key)
			case "aggregation":
				if s, ok := p.str(kv.val, subject, key); ok {
					if s != "mean" {
						p.errorf(kv.val, subject, "%s: %q is not supported (only mean)", key, s)
					}
					am.Aggregation = s
				}
			case "weight_by_size":
				am.WeightBySize, _ = p.boolean(kv.val, subject, key)
			case "filter_list":
				am.FilterList, _ = p.strList(kv.val, subject, key)
			default:
				p.unknownKey(kv, subject+": aggregate_metric_list", []string{"metric", "aggregation", "weight_by_size", "filter_list"})
			}
		}
		if am.Metric == "" {
			p.errorf(e, subject, "aggregate_metric_list: entry without \"metric\"")
			continue
		}
		g.AggregateMetrics = append(g.AggregateMetrics, am)
	}
}

// groupLeaves expands a group to its leaf configs, applying each entry's
// overrides (an outer group's overrides win over an inner one's).
// maxLeaves bounds the tasks all groups expand to: nested groups multiply.
const maxLeaves = 100_000

func (p *parser) groupLeaves(gr *groupRaw, reg *Registry, depth int) ([]*Config, bool) {
	switch gr.state {
	case 2:
		return gr.g.leaves, true
	case 1:
		p.errorf(&yaml.Node{Line: gr.g.Line}, fmt.Sprintf("group %q", gr.g.Name), "group contains itself")
		return nil, false
	}
	gr.state = 1
	defer func() { gr.state = 2 }()
	g := gr.g
	subject := fmt.Sprintf("group %q", g.Name)
	ok := true
	for _, e := range g.Entries {
		var base []*Config
		if rt, isTask := p.rawBy[e.Name]; isTask && !isTemplateTask(e.Name) {
			if rt.cfg == nil {
				ok = false // already reported
				continue
			}
			base = []*Config{rt.cfg}
			g.children = append(g.children, e.Name)
		} else if sub, isGroup := p.groups[e.Name]; isGroup {
			leaves, good := p.groupLeaves(sub, reg, depth+1)
			if !good {
				ok = false
				continue
			}
			base = leaves
			g.children = append(g.children, e.Name)
		} else if tagged, isTag := reg.tags[e.Name]; isTag {
			base = tagged
			for _, c := range tagged {
				g.children = append(g.children, c.Name)
			}
		} else {
			hint := ""
			if m := closest(e.Name, p.allNames(reg), 3); len(m) > 0 {
				hint = fmt.Sprintf(" (did you mean %s?)", quoteJoin(m))
			}
			p.errorf(&yaml.Node{Line: e.line}, subject, "unknown task or group %q%s", e.Name, hint)
			ok = false
			continue
		}
		for _, b := range base {
			if p.leafCount++; p.leafCount > maxLeaves {
				p.errorf(&yaml.Node{Line: e.line}, subject, "groups expand to more than %d tasks", maxLeaves)
				return nil, false
			}
			leaf := p.applyOverrides(b, g.Name, e)
			if leaf == nil {
				ok = false
				continue
			}
			g.leaves = append(g.leaves, leaf)
		}
	}
	return g.leaves, ok
}

func (p *parser) applyOverrides(base *Config, group string, e GroupEntry) *Config {
	if len(e.overrides) == 0 {
		c := *base
		if c.Group == "" {
			c.Group = group
		}
		return &c
	}
	subject := fmt.Sprintf("group %q: task %q", group, base.Name)
	rt := p.rawBy[base.Name]
	c, ok := p.decodeTask(overlay(base.raw, e.overrides), rt.node, subject)
	if !ok {
		return nil
	}
	c.Group = group
	keys := make([]string, 0, len(e.Overrides))
	for k, v := range e.Overrides {
		keys = append(keys, k+"="+pyRepr(v))
	}
	sort.Strings(keys)
	c.overrides = strings.Join(keys, ",")
	if base.overrides != "" {
		c.overrides = base.overrides + "|" + c.overrides
	}
	return c
}

func (p *parser) allNames(reg *Registry) []string {
	names := p.taskNames()
	for name := range p.groups {
		names = append(names, name)
	}
	names = append(names, reg.tagOrd...)
	sort.Strings(names)
	return names
}

// Resolve expands task, group and tag names into leaf task configs, with
// group overrides applied, duplicates dropped and the order of first
// appearance kept. A task requested twice with different settings (say on
// its own and through a group that overrides its num_fewshot) is an error, as
// both would report under the same name.
func (r *Registry) Resolve(names []string) ([]*Config, error) {
	var out []*Config
	seen := map[string]*Config{}
	add := func(c *Config) error {
		if prev, ok := seen[c.Name]; ok {
			if prev.overrides != c.overrides {
				return fmt.Errorf("task %q is requested twice with different settings (%s and %s)", c.Name, describeVia(prev), describeVia(c))
			}
			return nil
		}
		cp := *c
		seen[c.Name] = &cp
		out = append(out, &cp)
		return nil
	}
	for _, name := range names {
		var list []*Config
		switch {
		case r.byName[name] != nil:
			list = []*Config{r.byName[name]}
		case r.gByNm[name] != nil:
			list = r.gByNm[name].leaves
		case len(r.tags[name]) > 0:
			list = r.tags[name]
		default:
			all := make([]string, 0, len(r.byName)+len(r.gByNm)+len(r.tags))
			for n := range r.byName {
				all = append(all, n)
			}
			for n := range r.gByNm {
				all = append(all, n)
			}
			all = append(all, r.tagOrd...)
			sort.Strings(all)
			hint := ""
			if m := closest(name, all, 3); len(m) > 0 {
				hint = fmt.Sprintf("; did you mean %s?", quoteJoin(m))
			}
			return nil, fmt.Errorf("%s: unknown task or group %q%s", r.file, name, hint)
		}
		for _, c := range list {
			if err := add(c); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// GroupsFor lists the groups the names request, nested groups included, in
// order of first appearance: the groups whose scores a run reports.
func (r *Registry) GroupsFor(names []string) []*Group {
	var out []*Group
	seen := map[string]bool{}
	var walk func(g *Group, depth int)
	walk = func(g *Group, depth int) {
		if seen[g.Name] || depth > 100 {
			return
		}
		seen[g.Name] = true
		out = append(out, g)
		for _, e := range g.Entries {
			if sub, ok := r.gByNm[e.Name]; ok {
				walk(sub, depth+1)
			}
		}
	}
	for _, n := range names {
		if g, ok := r.gByNm[n]; ok {
			walk(g, 0)
		}
	}
	return out
}

// Suite returns the suite a run of name under profile means: the group
// itself, or the group its profiles entry names for that profile.
func (r *Registry) Suite(name string, profile Profile) (*Group, error) {
	g, ok := r.gByNm[name]
	if !ok || !g.Suite {
		var suites []string
		for _, s := range r.groups {
			if s.Suite {
				suites = append(suites, s.Name)
			}
		}
		hint := ""
		if m := closest(name, suites, 3); len(m) > 0 {
			hint = fmt.Sprintf("; did you mean %s?", quoteJoin(m))
		}
		if ok {
			return nil, fmt.Errorf("%s: %q is a group, not a suite (suites: %s)", r.file, name, strings.Join(suites, ", "))
		}
		return nil, fmt.Errorf("%s: unknown suite %q (suites: %s)%s", r.file, name, strings.Join(suites, ", "), hint)
	}
	if p, err := ParseProfile(string(profile)); err == nil {
		if other, ok := g.Profiles[string(p)]; ok {
			return r.gByNm[other], nil
		}
	}
	return g, nil
}

func describeVia(c *Config) string {
	if c.Group == "" {
		return "on its own"
	}
	if c.overrides == "" {
		return fmt.Sprintf("through group %q", c.Group)
	}
	return fmt.Sprintf("through group %q with %s", c.Group, c.overrides)
}

// Aggregate computes the group's aggregate_metric_list from its leaf tasks'
// scores, keyed by task name (lm-eval v0.4.5 consolidate_group_results): the
// plain or size-weighted mean of the leaves that report the metric, and the
// pooled sample stderr ("N/A", NaN here, if any leaf's is). ok is false for a
// group without aggregate_metric_list, which has no score in lm-eval.
func (g *Group) Aggregate(leaves map[string]Scores) (s Scores, ok bool, err error) {
	if len(g.AggregateMetrics) == 0 {
		return Scores{}, false, nil
	}
	var names []string
	seen := map[string]bool{}
	for _, c := range g.leaves {
		if !seen[c.Name] {
			seen[c.Name] = true
			names = append(names, c.Name)
		}
	}
	for _, am := range g.AggregateMetrics {
		for _, filter := range am.FilterList {
			key := am.Metric + "," + filter
			var values, stderrs []float64
			var sizes []int
			for _, name := range names {
				ls, scored := leaves[name]
				if !scored {
					return Scores{}, false, fmt.Errorf("group %q: no scores for task %q", g.Name, name)
				}
				for _, m := range ls.Metrics {
					if m.Key() == key {
						values = append(values, m.Value)
						stderrs = append(stderrs, m.Stderr)
						sizes = append(sizes, ls.N)
					}
				}
			}
			if len(values) == 0 {
				return Scores{}, false, fmt.Errorf("group %q: no task reports %s", g.Name, key)
			}
			ms := MetricScore{Metric: am.Metric, Filter: filter, HigherIsBetter: true}
			if am.WeightBySize {
				ms.Value = scoring.WeightedMean(values, sizes)
			} else {
				ms.Value = scoring.Mean(values)
			}
			ms.Stderr = scoring.PooledStderr(stderrs, sizes)
			n := 0
			for _, k := range sizes {
				n += k
			}
			s.N = n
			s.Metrics = append(s.Metrics, ms)
		}
	}
	return s, true, nil
}
