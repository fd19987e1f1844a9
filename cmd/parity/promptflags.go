package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/parity-eval/parity/chat"
	"github.com/parity-eval/parity/humaneval"
	"github.com/parity-eval/parity/ifeval"
	"github.com/parity-eval/parity/tasks"
)

// promptFlags are the run flags that decide what the prompts look like:
// suites, chat formatting, profile and generation settings, named as
// lm-eval's CLI names them.
type promptFlags struct {
	suites            string
	applyChatTemplate bool
	chatTemplate      string
	multiturn         bool
	systemInstruction string
	keepChatDelimiter bool
	profile           string
	genKwargs         string
	maxGenToks        int
	limitFraction     float64

	// resolved by prepare
	prof     tasks.Profile
	template *chat.Template
	genKW    map[string]any
	sysSet   bool
	bosSet   bool
}

func (p *promptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.suites, "suite", "", "comma-separated suites to run (see parity tasks), e.g. leaderboard-v1 or openllm; with --profile upstream a suite runs its upstream variant")
	fs.BoolVar(&p.applyChatTemplate, "apply-chat-template", false, "format prompts as chats, rendered by parity with the model's chat template (--chat-template) and sent as text")
	fs.StringVar(&p.chatTemplate, "chat-template", "", "the model's tokenizer_config.json (or a folder holding one, or a Jinja template file) whose chat template --apply-chat-template renders")
	fs.BoolVar(&p.multiturn, "fewshot-as-multiturn", false, "in chat mode, give each few-shot example as a user turn and an assistant turn")
	fs.StringVar(&p.systemInstruction, "system-instruction", "", "system instruction put before each prompt (a system turn in chat mode)")
	fs.BoolVar(&p.keepChatDelimiter, "keep-chat-target-delimiter", false, "in chat mode keep the target delimiter before multiple-choice continuations, as lm-eval <= v0.4.5 did (the paper's runs and lm-eval >= v0.4.6 drop it)")
	fs.StringVar(&p.profile, "profile", string(tasks.ProfilePaper), "paper (lm-eval v0.4.5 with the Neural Magic and HF-leaderboard forks' behaviour, as the paper ran) or upstream (current lm-eval)")
	fs.StringVar(&p.genKwargs, "gen-kwargs", "", "update the generation settings of every generative task, as lm-eval's --gen_kwargs: until=...,temperature=0,do_sample=false,max_gen_toks=N")
	fs.IntVar(&p.maxGenToks, "max-gen-toks", tasks.DefaultMaxGenToks, "tokens to generate for tasks that set no max_gen_toks (lm-eval's backend default)")
}

// prepare checks the flags and loads the chat template; explicitly names
// the flags the command line set.
func (p *promptFlags) prepare(explicit map[string]bool, chatFlag bool) error {
	var err error
	if p.prof, err = tasks.ParseProfile(p.profile); err != nil {
		return usagef("--profile: %v", err)
	}
	if p.genKW, err = tasks.ParseGenKwargs(p.genKwargs); err != nil {
		return usagef("--gen-kwargs: %v", err)
	}
	if p.maxGenToks <= 0 {
		return usagef("--max-gen-toks must be > 0, got %d", p.maxGenToks)
	}
	p.sysSet = explicit["system-instruction"]
	p.bosSet = explicit["add-bos"]
	if p.chatTemplate != "" {
		if p.template, err = chat.Load(p.chatTemplate); err != nil {
			return usagef("--chat-template: %v", err)
		}
	}
	switch {
	case p.applyChatTemplate && p.template == nil && !chatFlag:
		return usagef("--apply-chat-template needs the model's chat template: --chat-template path/to/tokenizer_config.json (or --chat, to let the server format generation requests)")
	case p.template != nil && !p.applyChatTemplate && !chatFlag:
		return usagef("--chat-template is only used with --apply-chat-template or --chat")
	case p.multiturn && !p.applyChatTemplate && !chatFlag:
		return usagef("--fewshot-as-multiturn needs chat mode (--apply-chat-template or --chat)")
	case p.keepChatDelimiter && !p.applyChatTemplate && !chatFlag:
		return usagef("--keep-chat-target-delimiter needs chat mode (--apply-chat-template or --chat)")
	}
	return nil
}

// addBOS is --add-bos, whose default follows the profile: the paper's runs
// passed add_bos_token=True.
func (p *promptFlags) addBOS(flagValue bool) bool {
	if p.bosSet {
		return flagValue
	}
	return p.prof == tasks.ProfilePaper
}

// expandSuites adds the tasks of --suite (the profile's variant of each) to
// the --tasks names.
func (p *promptFlags) expandSuites(reg *tasks.Registry, names []string) ([]string, error) {
	for _, s := range splitList(p.suites) {
		g, err := reg.Suite(s, p.prof)
		if err != nil {
			return nil, usagef("--suite: %v", err)
		}
		names = append(names, g.Name)
		also, err := suiteAlsoRun(reg, g)
		if err != nil {
			return nil, usagef("--suite: %v", err)
		}
		names = append(names, also...)
	}
	return names, nil
}

// suiteAlsoRun is a suite's metadata.also_run: members that tasks.yaml cannot
// list as group entries because Go code builds them (IFEval, HumanEval) or
// because another section of tasks.yaml defines them. A name that is
// neither is an error naming it.
func suiteAlsoRun(reg *tasks.Registry, g *tasks.Group) ([]string, error) {
	raw, ok := g.Metadata["also_run"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("suite %q: metadata.also_run is %T, want a list of task names", g.Name, raw)
	}
	var out []string
	for _, v := range list {
		n, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("suite %q: metadata.also_run holds %v, want a task name", g.Name, v)
		}
		_, isTask := reg.Task(n)
		_, isGroup := reg.Group(n)
		if !isTask && !isGroup && !ifeval.IsTask(n) && !humaneval.IsTask(n) {
			return nil, fmt.Errorf("suite %q: metadata.also_run: no task or group %q", g.Name, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// apply sets the prompt options of a build.
func (p *promptFlags) apply(o *tasks.BuildOptions, chatFlag bool) {
	o.Profile = p.prof
	o.LimitFraction = p.limitFraction
	o.MaxGenToks = p.maxGenToks
	o.GenKwargs = p.genKW
	if p.sysSet {
		s := p.systemInstruction
		o.SystemInstruction = &s
	}
	if p.applyChatTemplate || chatFlag {
		o.Chat = &tasks.ChatOptions{
			FewshotAsMultiturn:  p.multiturn,
			SendMessages:        chatFlag,
			KeepTargetDelimiter: p.keepChatDelimiter,
		}
		if p.template != nil {
			o.Chat.Template = p.template
		}
	}
}

// switches records the prompt settings in results.json's parity block
// (tasks.md §11), over the defaults the run command writes.
func (p *promptFlags) switches(m map[string]any, chatFlag, addBOS bool) map[string]any {
	chatMode := p.applyChatTemplate || chatFlag
	m["profile"] = string(p.prof)
	if p.prof == tasks.ProfileUpstream {
		m["engine_semantics"] = "lm-eval HEAD"
		m["fewshot_sampler_rule"] = "draw k+1 and drop the eval doc when fewshot_split == test_split (None == None)"
	}
	m["apply_chat_template"] = chatMode
	m["chat_template_rendered_by"] = "none"
	if chatMode {
		if p.template != nil {
			m["chat_template_rendered_by"] = "parity"
			m["chat_template"] = p.template.Origin
			sum := sha256.Sum256([]byte(p.template.Source))
			m["chat_template_sha"] = hex.EncodeToString(sum[:])
		}
		if chatFlag {
			m["chat_template_rendered_by"] = "server (generation requests sent as messages)"
			if p.template != nil {
				m["chat_template_rendered_by"] = "parity (loglikelihood) and server (generation requests sent as messages)"
			}
		}
	}
	m["fewshot_as_multiturn"] = p.multiturn
	delim := "\"\" (HF leaderboard fork, lm-eval >= v0.4.6)"
	if p.keepChatDelimiter {
		delim = "target_delimiter (lm-eval <= v0.4.5)"
	}
	m["chat_mc_target_delimiter"] = delim
	if p.prof == tasks.ProfilePaper {
		m["multiturn_fewshot_answer"] = "target_delimiter + target (Neural Magic fork sampler)"
	} else {
		m["multiturn_fewshot_answer"] = "target (after gen_prefix)"
	}
	m["gen_prefix"] = "applied where a task defines one (only the upstream llama3 tasks do)"
	m["system_instruction"] = nil
	if p.sysSet {
		m["system_instruction"] = p.systemInstruction
		sum := sha256.Sum256([]byte(p.systemInstruction))
		m["system_instruction_sha"] = hex.EncodeToString(sum[:])
	}
	bos := "add_special_tokens=false: no BOS is added to text prompts"
	if addBOS {
		bos = "add_special_tokens=true: the tokenizer adds BOS (lm-eval add_bos_token=True)"
		if chatMode && p.template != nil && p.template.SpecialTokens["bos_token"] != "" && strings.Contains(p.template.Source, "bos_token") {
			bos += "; the chat template writes BOS too, so chat prompts start with two, as lm-eval v0.4.5's vLLM backend sent them"
		}
	} else if chatMode && p.template != nil && strings.Contains(p.template.Source, "bos_token") {
		bos += "; chat prompts carry the BOS the template writes"
	}
	m["bos"] = bos
	m["default_max_gen_toks"] = p.maxGenToks
	if len(p.genKW) > 0 {
		m["gen_kwargs"] = p.genKW
	}
	if p.limitFraction > 0 {
		m["limit"] = p.limitFraction
	}
	if p.suites != "" {
		m["suites"] = splitList(p.suites)
	}
	return m
}

// limitValue is --limit: a count of documents, or a fraction below 1 of
// each task's documents (lm-eval's --limit 0.1).
type limitValue struct {
	n    *int
	frac *float64
}

func (l limitValue) String() string {
	if l.frac != nil && *l.frac > 0 {
		return strconv.FormatFloat(*l.frac, 'g', -1, 64)
	}
	if l.n != nil {
		return strconv.Itoa(*l.n)
	}
	return "0"
}

func (l limitValue) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("want a number of documents or a fraction below 1, got %q", s)
	}
	*l.n, *l.frac = 0, 0
	if f < 1 {
		*l.frac = f
		return nil
	}
	if f != math.Trunc(f) {
		return fmt.Errorf("a limit of 1 or more is a number of documents, got %q", s)
	}
	*l.n = int(f)
	return nil
}

// seedValue is --seed: the few-shot seed, or lm-eval's four comma-separated
// seeds (python, numpy, torch, few-shot), of which the fourth is used.
type seedValue struct{ seed *int64 }

func (s seedValue) String() string {
	if s.seed == nil {
		return ""
	}
	return strconv.FormatInt(*s.seed, 10)
}

func (s seedValue) Set(v string) error {
	parts := strings.Split(v, ",")
	if len(parts) != 1 && len(parts) != 4 {
		return fmt.Errorf("want one seed or four (python,numpy,torch,fewshot), got %q", v)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(parts[len(parts)-1]), 10, 64)
	if err != nil {
		return fmt.Errorf("few-shot seed %q is not an integer", parts[len(parts)-1])
	}
	*s.seed = n
	return nil
}

// lmevalSpellings rewrites lm-eval's underscore flag names (--num_fewshot,
// --apply_chat_template=true, --output_path, ...) to parity's hyphenated
// ones, for the flags fs defines; everything after "--" is left alone.
func lmevalSpellings(fs *flag.FlagSet, args []string) []string {
	aliases := map[string]string{"output_path": "output", "output-path": "output"}
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
			continue
		}
		dashes := "-"
		if strings.HasPrefix(a, "--") {
			dashes = "--"
		}
		name, value, hasValue := strings.Cut(a[len(dashes):], "=")
		if fs.Lookup(name) == nil {
			alt := strings.ReplaceAll(name, "_", "-")
			if to, ok := aliases[name]; ok {
				alt = to
			}
			if fs.Lookup(alt) != nil {
				name = alt
			}
		}
		if hasValue {
			out = append(out, dashes+name+"="+value)
		} else {
			out = append(out, dashes+name)
		}
	}
	return out
}

// explicitFlags names the flags set on the command line.
func explicitFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}
