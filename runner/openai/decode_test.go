package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/runner"
)

// echoChoice is a vLLM-shaped choice of a 4-token prompt plus the generated
// token. Prompt tokens: "Answer", ":", " \"B\"", " \\x"; generated "\n".
const echoChoice = `{"index":%d,"text":"Answer: \"B\" \\x\n",` +
	`"logprobs":{"text_offset":[0,6,7,11,14],` +
	`"token_logprobs":[null,-1.5,-0.25,-2.0,-0.5],` +
	`"tokens":["Answer",":"," \"B\""," \\x","\n"],` +
	`"top_logprobs":[null,{":":-1.5," is":-0.75},{" \"B\"":-0.25},{" \\x":-2.0,"\u0120y":-1.0},{"\n":-0.5}]},` +
	`"finish_reason":"length","stop_reason":null,"prompt_logprobs":null}`

func body(choices ...string) string {
	return `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[` +
		strings.Join(choices, ",") + `],"usage":{"prompt_tokens":4,"total_tokens":5,"completion_tokens":1}}`
}

func choiceAt(i int) string { return strings.Replace(echoChoice, "%d", string(rune('0'+i)), 1) }

func TestScoreResponseTokenize(t *testing.T) {
	pretty := strings.NewReplacer(`{`, "{\n  ", `,"`, ",\n  \"", `:[`, ": [ ", `]`, " ]\n").Replace(body(choiceAt(0)))
	reordered := `{"usage":{"completion_tokens":1,"prompt_tokens":4},"choices":[{"finish_reason":"length",` +
		`"logprobs":{"top_logprobs":[null,{":":-1.5," is":-0.75},{" \"B\"":-0.25},{" \\x":-2.0,"y":-1.0},{"\n":-0.5}],` +
		`"tokens":["Answer",":"," \"B\""," \\x","\n"],"token_logprobs":[null,-1.5,-0.25,-2.0,-0.5],"text_offset":[0,6,7,11,14]},` +
		`"text":"x","index":0}],"model":"m"}`
	// Continuation = the last two prompt tokens: -0.25 (top) + -2.0 (not
	// top: -1.0 beats it).
	two := runner.LoglikelihoodResult{LogProb: -0.25 + -2.0, IsGreedy: false, ContinuationTokens: 2, PromptTokens: 4, TokenBoundary: BoundaryTokenize}
	for _, tc := range []struct {
		name  string
		body  string
		plans []llPlan
		want  []runner.LoglikelihoodResult
	}{
		{"compact", body(choiceAt(0)), []llPlan{{promptTokens: 4, from: 2}}, []runner.LoglikelihoodResult{two}},
		{"pretty", pretty, []llPlan{{promptTokens: 4, from: 2}}, []runner.LoglikelihoodResult{two}},
		{"reordered keys", reordered, []llPlan{{promptTokens: 4, from: 2}}, []runner.LoglikelihoodResult{two}},
		{"choices out of order", body(choiceAt(1), choiceAt(0)),
			[]llPlan{{promptTokens: 4, from: 2}, {promptTokens: 4, from: 2}},
			[]runner.LoglikelihoodResult{two, two}},
		{"empty continuation", body(choiceAt(0)), []llPlan{{promptTokens: 4, from: 4}},
			[]runner.LoglikelihoodResult{{IsGreedy: true, PromptTokens: 4, TokenBoundary: BoundaryTokenize}}},
		{"max_tokens 0 shape", strings.Replace(strings.Replace(body(choiceAt(0)), `,-0.5]`, `]`, 1), `,{"\n":-0.5}]`, `]`, 1),
			[]llPlan{{promptTokens: 4, from: 2}}, []runner.LoglikelihoodResult{two}},
		{"vLLM -inf clamp", strings.Replace(body(choiceAt(0)), `-2.0,-0.5]`, `-9999.0,-0.5]`, 1),
			[]llPlan{{promptTokens: 4, from: 3}},
			[]runner.LoglikelihoodResult{{LogProb: -9999, ContinuationTokens: 1, PromptTokens: 4, TokenBoundary: BoundaryTokenize}}},
		{"-Infinity", strings.Replace(body(choiceAt(0)), `-2.0,-0.5]`, `-Infinity,-0.5]`, 1),
			[]llPlan{{promptTokens: 4, from: 3}},
			[]runner.LoglikelihoodResult{{LogProb: math.Inf(-1), ContinuationTokens: 1, PromptTokens: 4, TokenBoundary: BoundaryTokenize}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t)
			reqs := make([]runner.LoglikelihoodRequest, len(tc.plans))
			out := make([]runner.LoglikelihoodResult, len(tc.plans))
			if err := c.scoreResponse([]byte(tc.body), modeIDs, reqs, tc.plans, out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoreResponseTextOffset(t *testing.T) {
	// The decoded prompt is "<s>Answer: \"B\" \\x": a BOS token adds three
	// characters that the prompt text does not have.
	bos := `{"index":0,"text":"Answer: \"B\" \\x\n","logprobs":{"text_offset":[0,3,9,10,14,17],` +
		`"token_logprobs":[null,-0.125,-1.5,-0.25,-2.0,-0.5],"tokens":["<s>","Answer",":"," \"B\""," \\x","\n"],` +
		`"top_logprobs":[null,{"Answer":-0.125},{":":-1.5," is":-0.75},{" \"B\"":-0.25},{" \\x":-2.0,"y":-1.0},{"\n":-0.5}]},"finish_reason":"length"}`
	usage := func(prompt, completion string) string {
		return `,"usage":{"prompt_tokens":` + prompt + `,"completion_tokens":` + completion + `}}`
	}
	for _, tc := range []struct {
		name string
		body string
		plan llPlan
		want runner.LoglikelihoodResult
	}{
		{"two tokens", body(choiceAt(0)), llPlan{contRunes: len(` "B" \x`)},
			runner.LoglikelihoodResult{LogProb: -0.25 + -2.0, ContinuationTokens: 2, PromptTokens: 4, TokenBoundary: BoundaryTextOffset}},
		{"one token", body(choiceAt(0)), llPlan{contRunes: len(` \x`)},
			runner.LoglikelihoodResult{LogProb: -2.0, ContinuationTokens: 1, PromptTokens: 4, TokenBoundary: BoundaryTextOffset}},
		{"token straddling the boundary is context", body(choiceAt(0)), llPlan{contRunes: len(`x`)},
			runner.LoglikelihoodResult{IsGreedy: true, PromptTokens: 4, TokenBoundary: BoundaryTextOffset}},
		{"BOS shifts offsets", `{"choices":[` + bos + `]` + usage("5", "1"), llPlan{contRunes: len(` "B" \x`)},
			runner.LoglikelihoodResult{LogProb: -0.25 + -2.0, ContinuationTokens: 2, PromptTokens: 5, TokenBoundary: BoundaryTextOffset}},
		{"BOS, whole prompt", `{"choices":[` + bos + `]` + usage("5", "1"), llPlan{contRunes: len(`Answer: "B" \x`)},
			runner.LoglikelihoodResult{LogProb: -0.125 + -1.5 + -0.25 + -2.0, ContinuationTokens: 4, PromptTokens: 5, TokenBoundary: BoundaryTextOffset}},
		{"no usage", `{"choices":[` + bos + `]}`, llPlan{contRunes: len(` \x`)},
			runner.LoglikelihoodResult{LogProb: -2.0, ContinuationTokens: 1, PromptTokens: 5, TokenBoundary: BoundaryTextOffset}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t)
			out := make([]runner.LoglikelihoodResult, 1)
			if err := c.scoreResponse([]byte(tc.body), modeTextOffset, make([]runner.LoglikelihoodRequest, 1), []llPlan{tc.plan}, out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out[0]); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScoreResponseText checks text prompts answered with
// return_tokens_as_token_ids: the prompt tokens must begin with the
// context's, else the prompt is marked to be sent again.
func TestScoreResponseText(t *testing.T) {
	ids := strings.NewReplacer(`"tokens":["Answer",":"," \"B\""," \\x","\n"]`, `"tokens":["token_id:11","token_id:12","token_id:13","token_id:14","token_id:2"]`)
	good := ids.Replace(body(choiceAt(0)))
	withToken := func(k int, tok string) string {
		return strings.Replace(good, fmt.Sprintf(`"token_id:%d"`, 11+k), tok, 1)
	}
	two := runner.LoglikelihoodResult{LogProb: -0.25 + -2.0, ContinuationTokens: 2, PromptTokens: 4, TokenBoundary: BoundaryTokenize}
	for _, tc := range []struct {
		name       string
		body       string
		ctxIDs     []int32
		want       runner.LoglikelihoodResult
		wantResend bool
		errIs      error  // a final error; nil for success
		errText    string // a *badResponse containing this
	}{
		{"context matches", good, []int32{11, 12}, two, false, nil, ""},
		{"one-token context", good, []int32{11}, runner.LoglikelihoodResult{LogProb: -1.5 + -0.25 + -2.0, ContinuationTokens: 3, PromptTokens: 4, TokenBoundary: BoundaryTokenize}, false, nil, ""},
		{"seam inside a token", good, []int32{11, 99}, runner.LoglikelihoodResult{}, true, nil, ""},
		{"first token differs", good, []int32{1, 11}, runner.LoglikelihoodResult{}, true, nil, ""},
		{"no token past the context", good, []int32{11, 12, 13, 14}, runner.LoglikelihoodResult{}, true, nil, ""},
		{"tokens as text", body(choiceAt(0)), []int32{11, 12}, runner.LoglikelihoodResult{}, false, errTokensNotIDs, ""},
		{"text past the context", withToken(2, `" \"B\""`), []int32{11, 12}, runner.LoglikelihoodResult{}, false, errTokensNotIDs, ""},
		{"no digits", withToken(0, `"token_id:"`), []int32{11, 12}, runner.LoglikelihoodResult{}, false, errTokensNotIDs, ""},
		{"not a number", withToken(0, `"token_id:1x"`), []int32{11, 12}, runner.LoglikelihoodResult{}, false, errTokensNotIDs, ""},
		{"negative", withToken(0, `"token_id:-1"`), []int32{11, 12}, runner.LoglikelihoodResult{}, false, errTokensNotIDs, ""},
		{"escaped", withToken(0, `"token_id:\u0031"`), []int32{11, 12}, runner.LoglikelihoodResult{}, false, errTokensNotIDs, ""},
		{"out of range", withToken(0, `"token_id:4294967296"`), []int32{11, 12}, runner.LoglikelihoodResult{}, false, nil, "out of range"},
		{"tokens missing", strings.Replace(good, `"tokens"`, `"other"`, 1), []int32{11, 12}, runner.LoglikelihoodResult{}, false, nil, "tokens are missing"},
		{"usage disagrees", strings.Replace(good, `"prompt_tokens":4`, `"prompt_tokens":5`, 1), []int32{11, 12}, runner.LoglikelihoodResult{}, false, nil, "usage.prompt_tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t)
			plans := []llPlan{{ctxIDs: tc.ctxIDs, resend: !tc.wantResend}}
			out := make([]runner.LoglikelihoodResult, 1)
			err := c.scoreResponse([]byte(tc.body), modeText, make([]runner.LoglikelihoodRequest, 1), plans, out)
			var bad *badResponse
			switch {
			case tc.errIs != nil:
				if !errors.Is(err, tc.errIs) || errors.As(err, &bad) {
					t.Fatalf("error %v, want a final %v", err, tc.errIs)
				}
				return
			case tc.errText != "":
				if !errors.As(err, &bad) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error %v, want a *badResponse containing %q", err, tc.errText)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if plans[0].resend != tc.wantResend {
				t.Errorf("resend %t, want %t", plans[0].resend, tc.wantResend)
			}
			if diff := cmp.Diff(tc.want, out[0]); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoreResponseRejects(t *testing.T) {
	plan := []llPlan{{promptTokens: 4, from: 2}}
	good := body(choiceAt(0))
	for _, tc := range []struct {
		name, body string
		plans      []llPlan
		errText    string
	}{
		{"truncated", good[:len(good)/2], plan, "invalid JSON"},
		{"trailing garbage", good + "x", plan, "after the top-level value"},
		{"not an object", `[1]`, plan, "want '{'"},
		{"no choices", `{"usage":null}`, plan, "no choices"},
		{"too few choices", body(), plan, "0 choices for 1 prompts"},
		{"repeated index", body(choiceAt(0), choiceAt(0)), []llPlan{plan[0], plan[0]}, "out of range or repeated"},
		{"index out of range", body(choiceAt(3)), plan, "out of range or repeated"},
		{"prompt too short", good, []llPlan{{promptTokens: 6, from: 2}}, "wrong length"},
		{"prompt too long", good, []llPlan{{promptTokens: 2, from: 1}}, "wrong length"},
		{"logprobs null", strings.Replace(good, `"logprobs":{`, `"logprobs":null,"x":{`, 1), plan, "wrong length"},
		{"first position scored", good, []llPlan{{promptTokens: 4, from: 0}}, "has no logprob"},
		{"NaN", strings.Replace(good, `-2.0,-0.5]`, `NaN,-0.5]`, 1), plan, "NaN"},
		{"top_logprobs missing", strings.Replace(good, `"top_logprobs"`, `"other"`, 1), plan, "no top_logprobs"},
		{"top_logprobs empty", strings.Replace(good, `{" \"B\"":-0.25}`, `{}`, 1), plan, "no top_logprobs"},
		{"top_logprobs short", strings.Replace(good, `,{"\n":-0.5}]}`, `]}`, 1), plan, "top_logprobs for"},
		{"string logprob", strings.Replace(good, `-2.0,-0.5]`, `"-2.0",-0.5]`, 1), plan, "invalid number"},
		{"fractional index", strings.Replace(good, `"index":0`, `"index":0.5`, 1), plan, "want an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t)
			out := make([]runner.LoglikelihoodResult, len(tc.plans))
			err := c.scoreResponse([]byte(tc.body), modeIDs, make([]runner.LoglikelihoodRequest, len(tc.plans)), tc.plans, out)
			var bad *badResponse
			if !errors.As(err, &bad) {
				t.Fatalf("error %v, want a *badResponse", err)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("error %q does not mention %q", err, tc.errText)
			}
		})
	}
}

func TestDecodeGeneration(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		chat  bool
		want  []genChoice
		usage usage
	}{
		{"completion", `{"choices":[{"index":0,"text":" The answer is \"4\".\n","logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":9,"total_tokens":16}}`,
			false, []genChoice{{hasIndex: true, text: " The answer is \"4\".\n", hasText: true, finish: "stop"}}, usage{7, 9, true}},
		{"chat", `{"choices":[{"message":{"role":"assistant","content":"caf\u00e9","tool_calls":[]},"index":0,"finish_reason":"length"}]}`,
			true, []genChoice{{hasIndex: true, text: "café", hasText: true, finish: "length"}}, usage{}},
		{"chat null content", `{"choices":[{"index":0,"message":{"content":null},"finish_reason":null}]}`,
			true, []genChoice{{hasIndex: true, hasText: true}}, usage{}},
		{"text ignored in chat", `{"choices":[{"index":0,"text":"no"}]}`, true, []genChoice{{hasIndex: true}}, usage{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, u, err := decodeGeneration([]byte(tc.body), tc.chat)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(genChoice{})); diff != "" {
				t.Errorf("choices (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.usage, u, cmp.AllowUnexported(usage{})); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeTokenize(t *testing.T) {
	ids, maxLen, err := decodeTokenize([]byte(`{"count":3,"max_model_len":8192,"tokens":[128000, 9906,1917],"token_strs":null}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{128000, 9906, 1917}, ids, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
	if maxLen != 8192 {
		t.Errorf("max_model_len = %d, want 8192", maxLen)
	}
	for _, bad := range []string{`{"count":1}`, `{"tokens":[1.5]}`, `{"tokens":[-1]}`, `{"tokens":[3000000000]}`, `{"tokens":[1,]}`} {
		if _, _, err := decodeTokenize([]byte(bad), 0); err == nil {
			t.Errorf("decodeTokenize(%s) succeeded", bad)
		}
	}
}

func newTestClient(t testing.TB) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: "http://127.0.0.1:1/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzDecodeCompletion feeds arbitrary bytes to the echo and generation
// decoders in both modes: they must return an error or a result, never
// panic, and never accept JSON that encoding/json rejects.
func FuzzDecodeCompletion(f *testing.F) {
	f.Add([]byte(body(choiceAt(0))), 4, 2)
	f.Add([]byte(body(choiceAt(1), choiceAt(0))), 4, 0)
	f.Add([]byte(`{"choices":[{"index":0,"logprobs":{"token_logprobs":[null,-1],"top_logprobs":[null,{"a":-1}],"text_offset":[0,1],"tokens":["a","b"]}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`), 1, 1)
	f.Add([]byte(`{"choices":[{"index":0,"message":{"content":"hi"},"text":"x\u00e9"}]}`), 1, 0)
	f.Fuzz(func(t *testing.T, b []byte, promptTokens, from int) {
		c := newTestClient(t)
		for _, mode := range []llMode{modeIDs, modeText, modeTextOffset} {
			for n := 1; n <= 2; n++ {
				plans := make([]llPlan, n)
				for i := range plans {
					plans[i] = llPlan{promptTokens: promptTokens % 4096, from: from % 4096, contRunes: from % 4096, ctxIDs: make([]int32, (from%8+8)%8)}
					if plans[i].from > plans[i].promptTokens || plans[i].from < 0 || plans[i].promptTokens < 0 {
						plans[i] = llPlan{}
					}
				}
				out := make([]runner.LoglikelihoodResult, n)
				err := c.scoreResponse(b, mode, make([]runner.LoglikelihoodRequest, n), plans, out)
				if err == nil && !json.Valid(b) && !strings.Contains(string(b), "NaN") && !strings.Contains(string(b), "Infinity") {
					t.Fatalf("accepted invalid JSON %q", b)
				}
			}
		}
		for _, chat := range []bool{false, true} {
			if _, _, err := decodeGeneration(b, chat); err == nil && !json.Valid(b) &&
				!strings.Contains(string(b), "NaN") && !strings.Contains(string(b), "Infinity") {
				t.Fatalf("generation decoder accepted invalid JSON %q", b)
			}
		}
		_, _, _ = decodeTokenize(b, 0)
	})
}
