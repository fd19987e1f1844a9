package sandbox

import (
	"context"
	"testing"
)

func benchLayers(b *testing.B, un []Layer) {
	ctx := context.Background()
	sb, err := New(ctx, Config{Mode: BestEffort, unavailable: un})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := sb.Run(ctx, Program{Source: "pass"})
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("%v %+v", err, res)
			}
		}
	})
}
func BenchmarkPAll(b *testing.B)   { benchLayers(b, nil) }
func BenchmarkPNoNet(b *testing.B) { benchLayers(b, []Layer{LayerNetNS}) }
func BenchmarkPNoNetIPC(b *testing.B) { benchLayers(b, []Layer{LayerNetNS, LayerIPCNS, LayerUTSNS}) }
func BenchmarkPNoSeccomp(b *testing.B) { benchLayers(b, []Layer{LayerSeccomp}) }
func BenchmarkPNoLandlock(b *testing.B) { benchLayers(b, []Layer{LayerLandlock}) }
func BenchmarkPNoTmpfs(b *testing.B) { benchLayers(b, []Layer{LayerTmpfs}) }
func BenchmarkPNoNS(b *testing.B) { benchLayers(b, []Layer{LayerUserNS}) }
