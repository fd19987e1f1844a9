// Package datasets turns a dataset reference (a Hugging Face repo id with
// config and split, or local files) into rows. Hub datasets are read from
// the Hub's parquet conversion: first from a local mirror laid out like it
// (<dir>/<owner>/<name>/<config>/<split>/*.parquet), then from a download
// cache in the same layout, then downloaded; local files may be parquet,
// JSON lines, JSON or CSV. Parquet is decoded from the schema in the file,
// so rows come back as plain maps, lists and scalars for any dataset.
package datasets

// Doc is one dataset row. Values are string, int64, float64, bool, nil,
// []any and map[string]any (parquet structs and lists decode to these).
type Doc = map[string]any

// Ref names one split of one dataset.
type Ref struct {
	// Path is the Hub repo id, e.g. "allenai/ai2_arc".
	Path string
	// Config is the dataset config ("ARC-Challenge"); "" means "default".
	Config string
	// Split is "train", "validation", "test", ...
	Split string
	// Files, when set, are local .jsonl/.json/.csv/.parquet files that make up
	// the split; Path then only names the dataset in messages.
	Files []string
}
