package tickets

// SetSweepBatch makes Sweep read n tickets at a time until the returned
// function restores the batch size.
func SetSweepBatch(n int) (restore func()) {
	old := sweepBatch
	sweepBatch = n
	return func() { sweepBatch = old }
}
