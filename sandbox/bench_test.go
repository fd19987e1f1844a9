package sandbox

import (
	"context"
	"os/exec"
	"testing"
)

// BenchmarkRunOverhead is the cost of one sandboxed run of an empty program;
// BenchmarkBarePython the same program without the sandbox: the difference
// is the sandbox's per-program overhead.
func BenchmarkRunOverhead(b *testing.B) {
	ctx := context.Background()
	sb, err := New(ctx, Config{Mode: Strict})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	b.ResetTimer()
	for b.Loop() {
		res, err := sb.Run(ctx, Program{Source: "pass"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

func BenchmarkBarePython(b *testing.B) {
	ctx := context.Background()
	sb, err := New(ctx, Config{Mode: Strict})
	if err != nil {
		b.Fatal(err)
	}
	py := sb.Python()
	sb.Close()
	b.ResetTimer()
	for b.Loop() {
		if err := exec.Command(py, "-s", "-B", "-c", "pass").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
