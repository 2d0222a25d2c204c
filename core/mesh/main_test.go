package mesh

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: every
// goroutine of a node has an owner that stops it and waits for it.
// go-winio's I/O completion goroutine (Windows, through service in the
// tests that run members) lives as long as the process by design.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/Microsoft/go-winio.ioCompletionProcessor"))
}
