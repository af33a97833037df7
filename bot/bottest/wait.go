package bottest

import (
	"testing"
	"time"
)

// WaitFor polls cond every few milliseconds until it holds, and fails t if
// it still does not after timeout. It is the one way tests wait for
// something that happens in another goroutine or process; the timeout is
// an upper bound for a broken run, never a pause a passing run sits out.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		<-tick.C
	}
}
