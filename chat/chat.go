// Package chat renders Hugging Face chat templates (the Jinja `chat_template`
// of a tokenizer_config.json) the way transformers' apply_chat_template does,
// so that a prompt can be formatted as a chat client-side and sent as text:
// the same environment settings (trim_blocks, lstrip_blocks, loop controls,
// lenient undefined), the same extra globals (raise_exception, strftime_now),
// transformers' own tojson, the special tokens as variables, and the
// add_generation_prompt / continue_final_message rules.
package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
	"github.com/nikolalohinski/gonja/v2/tokens"
)

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Template is a compiled chat template with the special tokens it is
// rendered with. It is safe for concurrent use.
type Template struct {
	// Source is the Jinja text.
	Source string
	// Origin says where the template came from (a file, "name" of a
	// tokenizer config's template list), for messages and results.
	Origin string
	// SpecialTokens are passed to the template as variables, as transformers
	// passes the tokenizer's special_tokens_map (bos_token, eos_token, ...).
	SpecialTokens map[string]string
	// Now is the clock strftime_now reads; nil means time.Now. Templates
	// that print today's date (Llama 3.2 and later) change with it, so a
	// run that must be reproducible fixes it.
	Now func() time.Time

	tmpl *exec.Template
}

// specialTokenKeys are the tokenizer_config.json keys transformers exposes
// to templates (SpecialTokensMixin.SPECIAL_TOKENS_ATTRIBUTES).
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// New compiles a template.
func New(source string) (*Template, error) {
	t, err := compile(source)
	if err != nil {
		return nil, err
	}
	return &Template{Source: source, SpecialTokens: map[string]string{}, tmpl: t}, nil
}

// FromTokenizerConfig reads the chat template and special tokens of a
// tokenizer_config.json. A config may hold a list of named templates; name
// picks one ("" means "default", as transformers does).
func FromTokenizerConfig(data []byte, name string) (*Template, error) {
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("tokenizer config: %w", err)
	}
	raw, ok := cfg["chat_template"]
	if !ok || string(raw) == "null" {
		return nil, errors.New("tokenizer config has no chat_template")
	}
	src, origin, err := pickTemplate(raw, name)
	if err != nil {
		return nil, err
	}
	t, err := New(src)
	if err != nil {
		return nil, fmt.Errorf("chat_template%s: %w", origin, err)
	}
	t.Origin = origin
	for _, k := range specialTokenKeys {
		if v, ok := cfg[k]; ok {
			s, err := tokenContent(v)
			if err != nil {
				return nil, fmt.Errorf("tokenizer config %s: %w", k, err)
			}
			if s != "" {
				t.SpecialTokens[k] = s
			}
		}
	}
	return t, nil
}

// pickTemplate reads chat_template: a string, or a list of {name, template}.
func pickTemplate(raw json.RawMessage, name string) (src, origin string, err error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if name != "" && name != "default" {
			return "", "", fmt.Errorf("tokenizer config has a single chat template, not one named %q", name)
		}
		return s, "", nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", "", fmt.Errorf("chat_template: want a string or a list of {name, template}: %w", err)
	}
	if name == "" {
		name = "default"
	}
	var names []string
	for _, e := range list {
		if e.Name == name {
			return e.Template, fmt.Sprintf(" %q", name), nil
		}
		names = append(names, e.Name)
	}
	return "", "", fmt.Errorf("tokenizer config has no chat template named %q (it has %s)", name, strings.Join(names, ", "))
}

// tokenContent reads a special token, written as a string or as an
// AddedToken object {"content": ...}.
func tokenContent(raw json.RawMessage) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var tok struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.Content == nil {
		return "", fmt.Errorf("want a string or {\"content\": ...}, got %s", abbreviate(string(raw)))
	}
	return *tok.Content, nil
}

// Load reads a template from path: a tokenizer_config.json (any .json file
// with a chat_template), a directory holding one, or a Jinja template file.
// For a template file the special tokens come from a tokenizer_config.json
// beside it, when there is one.
func Load(path string) (*Template, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	if st.IsDir() {
		path = filepath.Join(path, "tokenizer_config.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		t, err := FromTokenizerConfig(data, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t.Origin = path + t.Origin
		return t, nil
	}
	t, err := New(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.Origin = path
	side := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
	if b, err := os.ReadFile(side); err == nil {
		var cfg map[string]json.RawMessage
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", side, err)
		}
		for _, k := range specialTokenKeys {
			if v, ok := cfg[k]; ok {
				s, err := tokenContent(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", side, k, err)
				}
				if s != "" {
					t.SpecialTokens[k] = s
				}
			}
		}
	}
	return t, nil
}

// RenderOptions are apply_chat_template's arguments.
type RenderOptions struct {
	// AddGenerationPrompt asks the template to end with the header of an
	// assistant turn.
	AddGenerationPrompt bool
	// ContinueFinalMessage ends the text right after the content of the last
	// message (an assistant prefill), dropping what the template writes to
	// close that turn.
	ContinueFinalMessage bool
	// Vars are further template variables (transformers' **kwargs), e.g.
	// date_string; they override the special tokens.
	Vars map[string]any
}

// Render renders the messages. As in transformers, the template sees
// messages, tools (None), documents (None), add_generation_prompt, the
// special tokens and Vars.
func (t *Template) Render(msgs []Message, o RenderOptions) (string, error) {
	if o.AddGenerationPrompt && o.ContinueFinalMessage {
		return "", errors.New("chat template: add_generation_prompt and continue_final_message cannot both be set")
	}
	list := make(pyList, len(msgs))
	for i, m := range msgs {
		list[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	data := map[string]any{
		"messages":              list,
		"tools":                 nil,
		"documents":             nil,
		"add_generation_prompt": o.AddGenerationPrompt,
	}
	for k, v := range t.SpecialTokens {
		data[k] = v
	}
	for k, v := range o.Vars {
		data[k] = v
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}
	data["strftime_now"] = func(format string) (string, error) { return strftime(now(), format) }
	out, err := t.execute(data)
	if err != nil {
		return "", err
	}
	if o.ContinueFinalMessage {
		if len(msgs) == 0 {
			return "", errors.New("chat template: continue_final_message needs a final message")
		}
		if out, err = cutAfterFinal(out, msgs[len(msgs)-1].Content); err != nil {
			return "", err
		}
	}
	return out, nil
}

// cutAfterFinal is transformers' continue_final_message rule: the rendered
// text ends right after the last occurrence of the final message (keeping
// its leading-space-trimmed form when the template preserved it, else its
// stripped form).
func cutAfterFinal(rendered, final string) (string, error) {
	stripped := pyStrip(final)
	if stripped == "" {
		return "", errors.New("chat template: continue_final_message is set but the final message has no text to continue")
	}
	loc := strings.LastIndex(rendered, stripped)
	if loc < 0 {
		return "", errors.New("chat template: continue_final_message is set but the final message does not appear in the rendered chat (the template changed it)")
	}
	lstripped := pyLStrip(final)
	if end := loc + len(lstripped); end <= len(rendered) && rendered[loc:end] == final {
		return rendered[:end], nil
	}
	return rendered[:loc+len(stripped)], nil
}

func (t *Template) execute(data map[string]any) (out string, err error) {
	defer func() {
		// gonja panics on some evaluation errors; a template error must not
		// crash a run.
		if r := recover(); r != nil {
			err = fmt.Errorf("chat template: %v", r)
		}
	}()
	out, err = t.tmpl.ExecuteToString(exec.NewContext(data))
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, raisedPrefix); i >= 0 {
			// raise_exception: the template's own message, as transformers
			// raises TemplateError(message).
			return "", &TemplateError{Message: strings.TrimSpace(msg[i+len(raisedPrefix):])}
		}
		return "", fmt.Errorf("chat template: %s", strings.TrimPrefix(msg, "unable to execute template: "))
	}
	return out, nil
}

// TemplateError is an error the template raised with raise_exception.
type TemplateError struct {
	Message string
}

func (e *TemplateError) Error() string { return "chat template raised: " + e.Message }

const raisedPrefix = "raise_exception: "

func compile(src string) (_ *exec.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chat template syntax error: %v", r)
		}
	}()
	loader, err := loaders.NewMemoryLoader(map[string]string{"/chat": src})
	if err != nil {
		return nil, err
	}
	t, err := exec.NewTemplate("/chat", envConfig(), loader, environment)
	if err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, "': "); strings.HasPrefix(msg, "failed to parse template '") && i > 0 {
			msg = msg[i+3:]
		}
		return nil, fmt.Errorf("chat template syntax error: %s", msg)
	}
	return t, nil
}

// envConfig is transformers' ImmutableSandboxedEnvironment(trim_blocks=True,
// lstrip_blocks=True) with Jinja's other defaults: lenient undefined and no
// kept trailing newline.
func envConfig() *config.Config {
	c := config.New()
	c.TrimBlocks = true
	c.LeftStripBlocks = true
	c.KeepTrailingNewline = false
	c.StrictUndefined = false
	return c
}

// environment is gonja's builtins with transformers' additions: its tojson,
// Python's str.strip for trim, and raise_exception.
var environment = newEnvironment()

func newEnvironment() *exec.Environment {
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{})
	filters.Update(builtins.Filters)
	must(filters.Replace("tojson", filterToJSON))
	must(filters.Replace("trim", filterTrim))
	control := exec.NewControlStructureSet(map[string]parser.ControlStructureParser{})
	control.Update(builtins.ControlStructures)
	must(control.Register("generation", generationParser))
	globals := exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables)
	globals.Set("raise_exception", raiseException)
	return &exec.Environment{
		Context:           globals,
		Filters:           filters,
		Tests:             builtins.Tests,
		ControlStructures: control,
		Methods:           builtins.Methods,
	}
}

// generationBlock is transformers' {% generation %} ... {% endgeneration %}
// (it marks the assistant's tokens for training masks): the body renders in
// place.
type generationBlock struct {
	wrapper *nodes.Wrapper
}

func (g *generationBlock) Position() *tokens.Token { return g.wrapper.Position() }
func (g *generationBlock) String() string          { return "GenerationControlStructure" }

func (g *generationBlock) Execute(r *exec.Renderer, _ *nodes.ControlStructureBlock) error {
	return r.ExecuteWrapper(g.wrapper)
}

func generationParser(p *parser.Parser, args *parser.Parser) (nodes.ControlStructure, error) {
	w, _, err := p.WrapUntil("endgeneration")
	if err != nil {
		return nil, err
	}
	if !args.Stream().End() {
		return nil, args.Error("generation takes no arguments", nil)
	}
	return &generationBlock{wrapper: w}, nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func raiseException(message string) (string, error) {
	return "", errors.New(raisedPrefix + message)
}

// pyList is a list as templates see it. gonja's own indexing misses the
// first element for a negative index equal to minus the length
// (messages[-1] of a one-message chat); this one indexes as Python does.
type pyList []any

// GetItem implements exec.ItemGetter.
func (l pyList) GetItem(key any) (*exec.Value, bool) {
	i, ok := key.(int)
	if !ok {
		return exec.AsValue(nil), false
	}
	if i < 0 {
		i += len(l)
	}
	if i < 0 || i >= len(l) {
		return exec.AsValue(nil), false
	}
	return exec.ToValue(l[i]), true
}

func abbreviate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
