package session

import (
	"reflect"
	"sort"
	"testing"
)

// notOperations are the Session methods that stay in their process.
var notOperations = map[string]bool{"Subscribe": true, "Close": true, "WithRequest": true}

// TestOperationsMatchSession checks the attached-process protocol against
// the one Go interface of a group: every Session method but those that
// stay in their process is an operation of the same name, and there is
// no operation that is not a method.
func TestOperationsMatchSession(t *testing.T) {
	st := reflect.TypeFor[Session]()
	methods := map[string]bool{}
	for i := range st.NumMethod() {
		name := st.Method(i).Name
		methods[name] = true
		if _, ok := handlers[name]; !ok && !notOperations[name] {
			t.Errorf("Session.%s has no operation: define it in ops.go", name)
		}
	}
	var extra []string
	for name := range handlers {
		if !methods[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("operations that are not Session methods: %v", extra)
	}
	if got, want := len(handlers), st.NumMethod()-len(notOperations); got != want {
		t.Errorf("%d operations for %d Session methods that cross processes", got, want)
	}
}
