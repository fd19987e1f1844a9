package scoring

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type regexGolden struct {
	Inputs []string `json:"inputs"`
	Cases  []struct {
		Pattern string       `json:"pattern"`
		FindAll [][][]string `json:"findall"`
		Sub     []string     `json:"sub"`
	} `json:"cases"`
}

func TestRegexMatchesCPython(t *testing.T) {
	var g regexGolden
	readGolden(t, "regex_cases.json", &g)
	for _, c := range g.Cases {
		re, err := CompileRegex(c.Pattern)
		if err != nil {
			t.Errorf("CompileRegex(%q): %v", c.Pattern, err)
			continue
		}
		for i, in := range g.Inputs {
			got, err := re.FindAll(in)
			if err != nil {
				t.Fatalf("findall(%q, %q): %v", c.Pattern, in, err)
			}
			if d := cmp.Diff(c.FindAll[i], got, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("findall(%q, %q) (-python +go):\n%s", c.Pattern, in, d)
			}
			sub, err := re.ReplaceAllLiteral(in, "")
			if err != nil {
				t.Fatalf("sub(%q, '', %q): %v", c.Pattern, in, err)
			}
			if sub != c.Sub[i] {
				t.Errorf("sub(%q, '', %q) = %q, python %q", c.Pattern, in, sub, c.Sub[i])
			}
		}
	}
}

func TestCompileRegexErrors(t *testing.T) {
	tests := []struct{ pattern, wantInErr string }{
		{`(?P=nope)`, `unknown group name "nope"`},
		{`(?P<a>x)(?P<a>y)`, `redefinition of group name "a"`},
		{`(?P<a`, `missing '>'`},
		{`abc\`, `bad escape`},
		{`\U0001F60`, `incomplete escape \U`},
		{`\U0011FFFF`, `bad escape \U0011FFFF`},
		{`(unclosed`, `(unclosed`},
		{`[z-a]`, `[z-a]`},
	}
	for _, tt := range tests {
		_, err := CompileRegex(tt.pattern)
		if err == nil {
			t.Errorf("CompileRegex(%q) succeeded, want an error", tt.pattern)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("CompileRegex(%q) error %q does not mention %q", tt.pattern, err, tt.wantInErr)
		}
	}
}

func TestCatastrophicPatternTimesOut(t *testing.T) {
	re, err := compileRegex(`(a+)+$`, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	input := strings.Repeat("a", 40) + "!"
	start := time.Now()
	_, err = re.FindAll(input)
	if !errors.Is(err, ErrMatchTimeout) {
		t.Fatalf("FindAll = %v, want ErrMatchTimeout", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("timeout took %v to fire", elapsed)
	}
	if strings.Contains(err.Error(), input) {
		t.Errorf("error quotes the whole input: %v", err)
	}
	if _, err := re.ReplaceAllLiteral(input, ""); !errors.Is(err, ErrMatchTimeout) {
		t.Errorf("ReplaceAllLiteral = %v, want ErrMatchTimeout", err)
	}
}

func TestReplaceAllLiteralKeepsUnmatchedBytes(t *testing.T) {
	re, err := CompileRegex(`\$`)
	if err != nil {
		t.Fatal(err)
	}
	in := "no dollar \xff here" // invalid UTF-8 must survive when nothing matches
	if got, err := re.ReplaceAllLiteral(in, ""); err != nil || got != in {
		t.Errorf("ReplaceAllLiteral(%q) = %q, %v; want the input unchanged", in, got, err)
	}
}

func TestScanTimeoutCoversAllMatches(t *testing.T) {
	// Each search is fast but there are many matches; a zero budget must still
	// stop the scan after the first one.
	re, err := compileRegex(`a`, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := re.FindAll(strings.Repeat("a", 10000)); !errors.Is(err, ErrMatchTimeout) {
		t.Errorf("FindAll = %v, want ErrMatchTimeout", err)
	}
}

func TestRegexConcurrentUse(t *testing.T) {
	re, err := CompileRegex(gsm8kFlexible)
	if err != nil {
		t.Fatal(err)
	}
	want, err := re.FindAll("a 1,234 b -5 c 7")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			for range 200 {
				got, err := re.FindAll("a 1,234 b -5 c 7")
				if err != nil || !cmp.Equal(got, want) {
					errs <- fmt.Sprintf("FindAll = %q, %v; want %q", got, err, want)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
