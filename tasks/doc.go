// Package tasks is parity's task registry: it reads tasks.yaml (lm-evaluation-harness
// task keys), turns dataset rows into the exact requests lm-eval v0.4.5 would send
// (Jinja templates, few-shot sampling with Python's random, context assembly), and
// turns model responses into per-sample records and aggregate metrics.
//
// A task never does network I/O itself: documents come through a DocSource, requests
// leave as runner values, and responses come back as runner results.
package tasks
