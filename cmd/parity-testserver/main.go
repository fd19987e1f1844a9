// Command parity-testserver serves openaitest's deterministic stand-in model
// on loopback, speaking vLLM's OpenAI-compatible protocol (completions with
// echo and logprobs, chat, /tokenize). It is a protocol test double for trying
// parity and for end-to-end tests, not a language model: its scores mean
// nothing. It prints its base URL on the first line of stdout and serves
// until interrupted.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parity-eval/parity/runner/openai/openaitest"
)

func main() {
	model := flag.String("model", "parity-test-model", "model name to serve")
	maxLen := flag.Int("max-model-len", 8192, "context length in tokens")
	delay := flag.Duration("delay", 0, "hold every request this long (to watch progress)")
	noTokenize := flag.Bool("no-tokenize", false, "answer 404 on /tokenize, like servers without vLLM's extensions")
	flag.Parse()
	s := openaitest.NewServer(openaitest.Options{Model: *model, MaxModelLen: *maxLen, NoTokenize: *noTokenize})
	defer s.Close()
	if *delay > 0 {
		s.InjectFaults(openaitest.Faults{Delay: *delay})
	}
	fmt.Println(s.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	c := s.Requests()
	fmt.Fprintf(os.Stderr, "parity-testserver: served %d completions, %d chat, %d tokenize requests in all (%s)\n",
		c.Completions, c.ChatCompletions, c.Tokenize, time.Now().Format(time.TimeOnly))
}
