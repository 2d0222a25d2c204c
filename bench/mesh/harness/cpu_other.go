//go:build !unix

package harness

// CPUSeconds is not measured on this platform: the benchmarks run on
// Linux; this keeps the package building for the Windows vet.
func CPUSeconds() float64 { return 0 }
