// Package sim is the resident simulator at /sim: a phone-shaped page that
// posts signed messages to the real webhook and shows, in one thread, the
// replies and the pushes the resident receives.
package sim

import "net/http"

// Path is where the simulator is mounted.
const Path = "/sim"

// Simulator is the simulator; not built yet.
type Simulator struct{}

// Handler returns the routes under Path.
func (s *Simulator) Handler() http.Handler { return http.NotFoundHandler() }
