package tasks

import (
	"strconv"
)

// ConfigForResults is the task config as lm-eval writes it under
// results.json "configs": TaskConfig.to_dict() after the run's adjustments
// (num_fewshot in force, generation_kwargs defaults), null fields left out.
func (t *Task) ConfigForResults() map[string]any {
	c := t.cfg
	out := map[string]any{
		"task":                 c.Name,
		"dataset_path":         c.DatasetPath,
		"description":          "",
		"target_delimiter":     c.TargetDelimiter,
		"fewshot_delimiter":    c.FewshotDelimiter,
		"num_fewshot":          t.numFewshot,
		"output_type":          string(c.OutputType),
		"repeats":              c.Repeats,
		"should_decontaminate": c.ShouldDecontaminate,
	}
	setStr := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	setStr("task_alias", c.Alias)
	if len(c.Tags) > 0 {
		tags := make([]any, len(c.Tags))
		for i, s := range c.Tags {
			tags[i] = s
		}
		out["tag"] = tags
	}
	setStr("dataset_name", c.DatasetName)
	if c.DatasetKwargs != nil {
		out["dataset_kwargs"] = c.DatasetKwargs
	}
	setStr("training_split", c.TrainingSplit)
	setStr("validation_split", c.ValidationSplit)
	setStr("test_split", c.TestSplit)
	setStr("fewshot_split", c.FewshotSplit)
	setStr("process_docs", c.ProcessDocs)
	if c.DocToText != nil {
		out["doc_to_text"] = c.DocToText.configValue()
	}
	if c.DocToTarget != nil {
		out["doc_to_target"] = c.DocToTarget.configValue()
	}
	if c.DocToChoice != nil {
		out["doc_to_choice"] = c.DocToChoice.configValue()
	}
	if c.Description != nil {
		out["description"] = c.Description.Source
	}
	if c.GenPrefix != nil {
		out["gen_prefix"] = c.GenPrefix.Source
	}
	setStr("process_results", c.ProcessResults)
	if c.Fewshot.set {
		fc := &orderedMap{}
		fc.set("sampler", c.Fewshot.Sampler)
		if c.Fewshot.Samples != nil {
			samples := make([]any, len(c.Fewshot.Samples))
			for i, d := range c.Fewshot.Samples {
				samples[i] = map[string]any(d)
			}
			fc.set("samples", samples)
		}
		for _, f := range []struct {
			k string
			v *DocField
		}{{"doc_to_text", c.Fewshot.DocToText}, {"doc_to_target", c.Fewshot.DocToTarget}, {"doc_to_choice", c.Fewshot.DocToChoice}} {
			if f.v != nil {
				fc.set(f.k, f.v.configValue())
			}
		}
		out["fewshot_config"] = fc
	}
	metrics := make([]any, len(c.Metrics))
	for i, m := range c.Metrics {
		mm := &orderedMap{}
		mm.set("metric", m.Metric)
		mm.set("aggregation", m.Aggregation)
		mm.set("higher_is_better", m.HigherIsBetter)
		for _, k := range m.order {
			if v, ok := m.Options[k]; ok {
				mm.set(k, v)
			}
		}
		metrics[i] = mm
	}
	out["metric_list"] = metrics
	if c.OutputType == GenerateUntil {
		out["generation_kwargs"] = t.generationKwargsValue()
	}
	if !(len(c.Filters) == 1 && c.Filters[0].Name == "none") {
		filters := make([]any, len(c.Filters))
		for i, f := range c.Filters {
			fm := &orderedMap{}
			fm.set("name", f.Name)
			steps := make([]any, len(f.Steps))
			for j, s := range f.Steps {
				sm := &orderedMap{}
				sm.set("function", s.Function)
				for _, k := range sortedKeys(s.Params) {
					sm.set(k, s.Params[k])
				}
				steps[j] = sm
			}
			fm.set("filter", steps)
			filters[i] = fm
		}
		out["filter_list"] = filters
	}
	setStr("doc_to_decontamination_query", c.DecontaminationQuery)
	meta := map[string]any{}
	for k, v := range c.Metadata {
		meta[k] = v
	}
	if f, err := strconv.ParseFloat(c.Version, 64); err == nil {
		meta["version"] = f
	} else {
		meta["version"] = c.Version
	}
	out["metadata"] = meta
	return out
}
