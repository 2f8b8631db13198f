// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"

	"github.com/mcpauth/mcpauth/internal/loopback"
)

// pageCSP forbids scripts, plugins and framing; pages are static HTML with
// inline styles. form-action is left open on purpose: the consent form's
// response redirects to the identity provider or to the client, and
// browsers apply form-action to those redirects.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"

const pageStyle = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}.box{border:1px solid #d0d7de;border-radius:8px;padding:1rem 1.25rem}
code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}.warn{color:#9a6700}.ok{color:#1a7f37}
button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.75rem;border-radius:6px;border:1px solid #d0d7de;cursor:pointer}
button.primary{background:#1f883d;color:#fff;border-color:#1f883d}`

// consentTemplate shows the client's name as what it is. The name of a
// client the operator configured is shown plainly and marked verified; any
// other name (dynamic registration, Client ID Metadata Document) is the
// client's own claim, so the title, the heading and a marker say it is
// unverified, and the name is quoted and isolated (<bdi>) so that its text,
// right-to-left marks included, cannot run into the words around it.
var consentTemplate = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{if .Verified}}Authorize {{.ClientName}}{{else}}Authorize unverified application “{{.ClientName}}”{{end}}</title>
<style>` + pageStyle + `</style>
</head>
<body>
{{if .Verified -}}
<h1>Authorize <bdi id="client-name">{{.ClientName}}</bdi>?</h1>
<p id="client-verification" class="ok" data-verified="true">This application is registered by the operator of this server.</p>
{{- else -}}
<h1>Authorize an unverified application calling itself “<bdi id="client-name">{{.ClientName}}</bdi>”?</h1>
<p id="client-verification" class="warn" data-verified="false"><strong>Unverified name.</strong>
{{if .DocumentHost}}The application chose this name itself, in its metadata document at <strong>{{.DocumentHost}}</strong>. This server checked only that the document is served from that address, not the name: anyone can publish any name.
{{- else}}The application chose this name itself when it registered with this server, and nobody has checked it: any application can register under any name, including the name of one you trust.
{{- end}}</p>
{{- end}}
<div class="box">
<p>{{if .Verified}}The application <strong>{{.ClientName}}</strong>{{else}}This application{{end}} wants to access <strong>{{.Resource}}</strong> on your behalf.</p>
<p>Client ID: <code id="client-id">{{.ClientID}}</code></p>
<p>After you sign in, you will be sent back to <strong id="redirect-host">{{.RedirectHost}}</strong>.</p>
{{if .Loopback}}<p class="warn">This application receives the result on this computer ({{.RedirectHost}}). Approve only if you started this login yourself.</p>{{end}}
{{if .Scopes}}<p>It asks for these permissions:</p>
<ul id="scopes">{{range .Scopes}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
</div>
<form method="post" action="{{.Action}}">
<input type="hidden" name="consent_id" value="{{.ConsentID}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<p>
<button id="approve" class="primary" type="submit" name="action" value="approve">Approve and sign in</button>
<button id="deny" type="submit" name="action" value="deny">Deny</button>
</p>
</form>
</body>
</html>
`))

var errorTemplate = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + pageStyle + `</style>
</head>
<body>
<h1 id="title">{{.Title}}</h1>
<div class="box"><p id="message">{{.Message}}</p></div>
</body>
</html>
`))

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// consentPage renders the consent page for req.
func (p *Provider) consentPage(w http.ResponseWriter, c *clientRecord, req *authRequest, consentID, csrf string) {
	host := req.RedirectURI
	if u, err := url.Parse(req.RedirectURI); err == nil {
		host = u.Host
	}
	name := c.Name
	if name == "" {
		name = c.ClientID
	}
	// Only the operator's configuration vouches for a name; the record's
	// Kind is not trusted for this, the static client table is.
	verified := c == p.static[c.ClientID]
	var docHost string
	if !verified && c.Kind == "cimd" {
		if u, err := url.Parse(c.ClientID); err == nil {
			docHost = u.Host
		}
	}
	var buf bytes.Buffer
	err := consentTemplate.Execute(&buf, map[string]any{
		"ClientName":   name,
		"Verified":     verified,
		"DocumentHost": docHost,
		"ClientID":     c.ClientID,
		"Resource":     p.resource,
		"RedirectHost": host,
		"Loopback":     isLoopbackURL(req.RedirectURI),
		"Scopes":       req.Scopes,
		"Action":       p.basePath + PathConsent,
		"ConsentID":    consentID,
		"CSRF":         csrf,
	})
	if err != nil {
		p.logger.Error("provider: render consent page", "err", err)
		p.errorPage(w, http.StatusInternalServerError, "Error", "The consent page could not be shown.")
		return
	}
	setPageHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// errorPage renders a plain error page; used when the client cannot be
// trusted with a redirect.
func (p *Provider) errorPage(w http.ResponseWriter, status int, title, msg string) {
	var buf bytes.Buffer
	if err := errorTemplate.Execute(&buf, map[string]string{"Title": title, "Message": msg}); err != nil {
		http.Error(w, title, status)
		return
	}
	setPageHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && loopback.Host(u.Hostname())
}
