package humaneval

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSanitize: EvalPlus's sanitizer, rule by rule: the largest parsable
// block (prose and markdown fences go), then imports and the entry point's
// dependency closure among top-level definitions (functions only with a
// return; the first definition of a name wins; decorated definitions,
// which tree-sitter wraps in another node, are not collected).
func TestSanitize(t *testing.T) {
	ex := testExecutor(t)
	cases := []struct{ name, in, entry, want string }{
		{"markdown and prose", "Here is the code:\n```python\nimport math\n\ndef area(r):\n    return math.pi * r * r\n\nprint(area(2))\n```\nIt uses math.pi.", "area",
			"import math\ndef area(r):\n    return math.pi * r * r"},
		{"dependency closure", "def helper(x):\n    return x + 1\n\ndef unused():\n    return 0\n\ndef f(x):\n    return helper(x) * SCALE\n\nSCALE = 2\n\ndef main():\n    print(f(1))\n", "f",
			"def helper(x):\n    return x + 1\ndef f(x):\n    return helper(x) * SCALE\nSCALE = 2"},
		{"first definition wins", "def f():\n    return 1\n\ndef f():\n    return 2\n", "f", "def f():\n    return 1"},
		{"decorated definitions are dropped", "import functools\n\n@functools.lru_cache\ndef f(n):\n    return n\n", "f", "import functools"},
		{"nothing reachable falls back to the block", "x = \n\nprint(1)\nprint(2)\n", "f", "\nprint(1)\nprint(2)"},
		{"classes are kept when used", "class A:\n    pass\n\ndef f():\n    return A()\n", "f", "class A:\n    pass\ndef f():\n    return A()"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, note, err := ex.Sanitize(context.Background(), c.in, c.entry)
			if err != nil || note != "" {
				t.Fatalf("%v %s", err, note)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
