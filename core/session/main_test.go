package session

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: every
// goroutine has an owner that stops it and waits for it. go-winio's I/O
// completion goroutine (Windows) lives as long as the process by design.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, ignoreWinio) }

var ignoreWinio = goleak.IgnoreAnyFunction("github.com/Microsoft/go-winio.ioCompletionProcessor")
