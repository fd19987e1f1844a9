// Package parity holds what the parity binary embeds: the default task
// registry. The evaluation pipeline lives in the packages beside it
// (datasets, tasks, runner, scoring, results, evaluator).
package parity

import _ "embed"

// TasksYAML is the built-in task registry (tasks.yaml at the module root).
//
//go:embed tasks.yaml
var TasksYAML []byte

// Version is parity's release; the build may override it with -ldflags.
var Version = "0.1.0-dev"
