package service

import "time"

// SlowTakeovers makes every takeover of this process wait d after it
// starts, so tests can close the runtime while one is in progress.
func SlowTakeovers(d time.Duration) { takeoverDelay = d }
