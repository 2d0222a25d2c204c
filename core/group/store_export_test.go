package group

import "p2p/core/store"

// StoreOf is e's database, for the tests that look past the engine at
// what it stored.
func StoreOf(e *Engine) *store.DB { return e.db }
