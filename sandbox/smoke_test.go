package sandbox

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	sb, err := New(ctx, Config{Mode: BestEffort})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	t.Logf("%s %s", sb.Isolation(), sb.Python())
	res, err := sb.Run(ctx, Program{Source: "import os,sys; print(os.getuid(), os.getpid(), os.getcwd(), dict(os.environ)); print(open('/proc/self/status').read()[:10])"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v %s %s", res, res.Stdout, res.Stderr)
}
