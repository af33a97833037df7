package main

import "net/http"

// minePages mounts the resident pages (/my/); not built yet.
func minePages(p pageDeps, out map[string]http.Handler) {}
