// Package scoring holds the pure functions that turn model outputs into
// lm-evaluation-harness numbers: answer-extraction filters (regex, take_first,
// whitespace and case transforms), per-sample metrics (acc, acc_norm,
// exact_match) and the aggregations over samples and over a group's tasks
// (mean, its standard error, pooled and size-weighted group scores). Every
// function reproduces lm-eval v0.4.5 down to Python's string and regex
// semantics, because a single differently stripped character changes a score;
// where parity cannot match (or lm-eval would crash) the doc comment says so.
// Nothing here does I/O.
package scoring
