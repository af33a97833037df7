package main

import "net/http"

// simPages mounts the resident simulator (/sim) when it is on; not built
// yet.
func simPages(p pageDeps, out map[string]http.Handler) {}
