package tasks

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parity-eval/parity/chat"
)

// Profile selects the behaviours that differ between the lm-eval the paper
// ran and current lm-eval (tasks.md §11). They only show in chat mode:
//
//   - ProfilePaper: lm-eval v0.4.5 with the Neural Magic fork's sampler (a
//     multi-turn few-shot answer is target_delimiter + target) and the HF
//     leaderboard fork's chat rule for multiple-choice continuations (no
//     target delimiter); a multiple-input task (Winogrande) renders the chat
//     without the question and appends each choice after the generation
//     prompt; system prompt = system_instruction + fewshot_delimiter +
//     description.
//   - ProfileUpstream: lm-eval HEAD: a multi-turn answer is the target alone
//     (after the gen_prefix, if any); each Winogrande choice is the user turn
//     of its own chat; system instruction and description are joined only
//     where neither has whitespace at the joint.
type Profile string

// The profiles.
const (
	ProfilePaper    Profile = "paper"
	ProfileUpstream Profile = "upstream"
)

// ParseProfile checks a profile name ("" is ProfilePaper).
func ParseProfile(s string) (Profile, error) {
	switch Profile(s) {
	case "", ProfilePaper:
		return ProfilePaper, nil
	case ProfileUpstream:
		return ProfileUpstream, nil
	}
	return "", fmt.Errorf("unknown profile %q (want paper or upstream)", s)
}

// Renderer renders chat messages to a prompt (a *chat.Template is one).
type Renderer interface {
	Render(msgs []chat.Message, o chat.RenderOptions) (string, error)
}

// ChatOptions format prompts as chats (lm-eval --apply_chat_template).
type ChatOptions struct {
	// Template renders the chat client side, so the prompt goes to the
	// completions endpoint as text. Without one only generate_until tasks
	// can run, with their messages sent for the server to render.
	Template Renderer
	// SendMessages attaches the messages to generation requests so a chat
	// endpoint renders them with the server's own template.
	SendMessages bool
	// FewshotAsMultiturn makes each shot a user turn and an assistant turn;
	// otherwise the shots and the question form one user turn.
	FewshotAsMultiturn bool
	// KeepTargetDelimiter keeps the target delimiter before a
	// multiple-choice continuation, as lm-eval <= v0.4.5 did; the paper's
	// runs (HF leaderboard fork) and lm-eval >= v0.4.6 drop it.
	KeepTargetDelimiter bool
}

// promptParts are the parts of one prompt before it is rendered.
type promptParts struct {
	system  string
	shots   []shot
	query   string
	prefix  string // gen_prefix, "" when none
	noQuery bool   // a multiple-input context: everything but the question
}

// requiresDelimiter is lm-eval's requires_delimiter: a non-empty prefix and
// no whitespace on either side of the joint.
func requiresDelimiter(prefix, suffix string) bool {
	if prefix == "" {
		return false
	}
	return !endsWithSpace(prefix) && !startsWithSpace(suffix)
}

// maybeDelimit is lm-eval's maybe_delimit.
func maybeDelimit(prefix, suffix, delim string) string {
	switch {
	case prefix == "":
		return suffix
	case suffix == "":
		return prefix
	case requiresDelimiter(prefix, suffix):
		return prefix + delim + suffix
	}
	return prefix + suffix
}

func endsWithSpace(s string) bool {
	if s == "" {
		return false
	}
	r := []rune(s)
	return pyIsSpace(r[len(r)-1])
}

func startsWithSpace(s string) bool {
	for _, r := range s {
		return pyIsSpace(r)
	}
	return false
}

// systemPrompt joins --system_instruction and the task description.
func (t *Task) systemPrompt(description string) string {
	si := t.opts.SystemInstruction
	if t.profile == ProfileUpstream {
		s := ""
		if si != nil {
			s = *si
		}
		return maybeDelimit(s, description, t.cfg.FewshotDelimiter)
	}
	switch {
	case si != nil && description != "":
		return *si + t.cfg.FewshotDelimiter + description
	case si != nil:
		return *si
	}
	return description
}

// shotText is one shot as plain text (samplers.get_context): question,
// target delimiter, answer, few-shot delimiter; a shot without an answer is
// its question alone. With a gen_prefix the answer follows it.
func (t *Task) shotText(s shot) string {
	if !s.hasAnswer {
		return s.text
	}
	td := t.cfg.TargetDelimiter
	if s.prefix != "" && !requiresDelimiter(s.text, s.prefix) {
		td = ""
	}
	return s.text + td + maybeDelimit(s.prefix, s.answer, " ") + t.cfg.FewshotDelimiter
}

// queryText is the question with its gen_prefix, as it ends a plain prompt.
func (t *Task) queryText(p promptParts) string {
	if p.prefix == "" {
		return p.query
	}
	td := ""
	if requiresDelimiter(p.query, p.prefix) {
		td = t.cfg.TargetDelimiter
	}
	return p.query + td + p.prefix
}

// plainPrompt is the prompt without a chat template (tasks.md §1.3).
func (t *Task) plainPrompt(p promptParts) string {
	n := len(p.system) + len(p.query) + len(p.prefix) + 8
	for _, s := range p.shots {
		n += len(s.text) + len(s.answer) + 8
	}
	b := make([]byte, 0, n)
	b = append(b, p.system...)
	for _, s := range p.shots {
		b = append(b, t.shotText(s)...)
	}
	if !p.noQuery {
		b = append(b, t.queryText(p)...)
	}
	return string(b)
}

// messages builds the chat (tasks.md §1.6.1).
func (t *Task) messages(p promptParts) []chat.Message {
	var msgs []chat.Message
	if p.system != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: p.system})
	}
	multiturn := t.opts.Chat.FewshotAsMultiturn
	if len(p.shots) > 0 {
		if multiturn {
			for _, s := range p.shots {
				msgs = append(msgs, chat.Message{Role: "user", Content: s.text})
				if !s.hasAnswer && t.profile == ProfileUpstream {
					continue
				}
				a := maybeDelimit(s.prefix, s.answer, " ")
				if t.profile == ProfilePaper {
					// The Neural Magic fork's sampler: the delimiter leads the
					// answer (the Llama template trims it away; "The best
					// answer is " does not go).
					a = t.cfg.TargetDelimiter + a
				}
				msgs = append(msgs, chat.Message{Role: "assistant", Content: a})
			}
		} else {
			var b []byte
			for _, s := range p.shots {
				b = append(b, t.shotText(s)...)
			}
			msgs = append(msgs, chat.Message{Role: "user", Content: string(b)})
		}
	}
	if p.noQuery {
		return msgs
	}
	if multiturn || len(msgs) == 0 || msgs[len(msgs)-1].Role == "system" {
		msgs = append(msgs, chat.Message{Role: "user", Content: p.query})
	} else {
		msgs[len(msgs)-1].Content += p.query
	}
	if p.prefix != "" {
		msgs = append(msgs, chat.Message{Role: "assistant", Content: p.prefix})
	}
	return msgs
}

// renderChat renders messages with the template: with a generation prompt,
// or, after a gen_prefix prefill, continuing the final message.
func (t *Task) renderChat(msgs []chat.Message, prefix bool) (string, error) {
	return t.opts.Chat.Template.Render(msgs, chat.RenderOptions{AddGenerationPrompt: !prefix, ContinueFinalMessage: prefix})
}

// chatJSON is how lm-eval's API models log a chat they send as messages
// (JsonChatStr): json.dumps of the list of messages, ASCII only.
func chatJSON(msgs []chat.Message) string {
	list := make([]any, len(msgs))
	for i, m := range msgs {
		o := &orderedMap{}
		o.set("role", m.Role)
		o.set("content", m.Content)
		list[i] = o
	}
	var b strings.Builder
	for _, r := range pyJSON(list, 0) {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// PromptMode describes how the task's prompts are built, for records.
func (t *Task) PromptMode() string {
	c := t.opts.Chat
	if c == nil {
		return "plain, profile " + string(t.profile)
	}
	s := "chat"
	if c.Template != nil {
		s += " (template rendered by parity)"
	}
	if c.SendMessages {
		s += " (messages sent to the chat endpoint)"
	}
	if c.FewshotAsMultiturn {
		s += ", few-shot as multi-turn"
	}
	if c.KeepTargetDelimiter {
		s += ", multiple-choice target delimiter kept"
	}
	return s + ", profile " + string(t.profile)
}
