package runner

import "context"

// LoglikelihoodRequest asks for the log-probability the model gives
// Continuation after Context (lm-eval's loglikelihood request).
type LoglikelihoodRequest struct {
	Context      string `json:"context"`
	Continuation string `json:"continuation"`
}

// LoglikelihoodResult is what scoring needs of a loglikelihood response.
type LoglikelihoodResult struct {
	// LogProb is the sum of the continuation tokens' log-probabilities.
	LogProb float64 `json:"logprob"`
	// IsGreedy holds when every continuation token was the model's top-1 choice.
	IsGreedy bool `json:"is_greedy"`
	// ContinuationTokens is how many tokens were scored.
	ContinuationTokens int `json:"continuation_tokens"`
	// PromptTokens is the length of context+continuation in tokens.
	PromptTokens int `json:"prompt_tokens"`
	// TokenBoundary says how the continuation's tokens were found:
	// "tokenize" (the server's /tokenize, as lm-eval does) or "text_offset".
	TokenBoundary string `json:"token_boundary,omitempty"`
}

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// GenerateRequest asks for a greedy (or sampled) completion of Context, or of
// Messages when the backend talks to a chat endpoint.
type GenerateRequest struct {
	Context     string    `json:"context,omitempty"`
	Messages    []Message `json:"messages,omitempty"`
	Until       []string  `json:"until"`
	MaxTokens   int       `json:"max_tokens"`
	Temperature float64   `json:"temperature"`
}

// GenerateResult is a completion with its stop reason and token usage.
type GenerateResult struct {
	Text             string `json:"text"`
	FinishReason     string `json:"finish_reason,omitempty"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
}

// Backend is a model that answers the two request types. Implementations
// answer every request of a call or return an error for the whole call; the
// runner handles batching, caching and concurrency around them.
type Backend interface {
	// ID names the model and server (and any setting that changes answers)
	// for cache keys. It must never contain secrets.
	ID() string
	Loglikelihood(ctx context.Context, reqs []LoglikelihoodRequest) ([]LoglikelihoodResult, error)
	Generate(ctx context.Context, reqs []GenerateRequest) ([]GenerateResult, error)
}

// WithRevision returns b with rev added to its ID, so responses cached for one
// checkpoint are never served for another that a server exposes under the
// same model name and URL (a nightly job, say). An empty rev returns b.
func WithRevision(b Backend, rev string) Backend {
	if rev == "" {
		return b
	}
	return revisioned{b, rev}
}

type revisioned struct {
	Backend
	rev string
}

func (r revisioned) ID() string { return r.Backend.ID() + "|revision=" + r.rev }
