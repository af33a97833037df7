package console

import "net/http"

// scanRoutes are the scan login's (a WeChat parametric QR, scene
// login:<nonce>); not built yet.
func (c *Console) scanRoutes(mux *http.ServeMux) {}

// scanState is what login.html shows of the scan login (its
// "login_qr" template); nil shows nothing.
func (c *Console) scanState(w http.ResponseWriter, r *http.Request) any { return nil }
