// Package apidocs serves the API's documentation: Swagger UI and ReDoc, both
// reading the OpenAPI schema that Huma serves. Their JavaScript and CSS come
// from the SPA build (copied from the swagger-ui-dist and redoc npm packages),
// never from a CDN, so the docs work offline and under a strict
// Content-Security-Policy: every script is an external file from this origin,
// including the few lines that start Swagger UI, so no inline script and no
// eval are needed.
package apidocs

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"

	"github.com/gofiber/fiber/v2"
)

const (
	docsPath   = "/api/docs"
	assetsPath = docsPath + "/assets/"

	swaggerBundle = "swagger-ui-bundle.js"
	swaggerCSS    = "swagger-ui.css"
	redocBundle   = "redoc.standalone.js"

	// assetCacheControl lets browsers keep the bundles for a day: they only
	// change with a deploy, and the HTML pages that name them are not cached.
	assetCacheControl = "public, max-age=86400"
	// pageCacheControl makes browsers revalidate the pages and the init
	// script, so a deploy that changes them shows at once.
	pageCacheControl = "no-cache"

	contentTypeJS   = "text/javascript; charset=utf-8"
	contentTypeCSS  = "text/css; charset=utf-8"
	contentTypeHTML = "text/html; charset=utf-8"
)

// assetContentType names the only files served from the assets FS, so the
// route can't be used to read anything else the FS happens to hold.
func assetContentType(name string) (string, bool) {
	switch name {
	case swaggerBundle, redocBundle:
		return contentTypeJS, true
	case swaggerCSS:
		return contentTypeCSS, true
	}
	return "", false
}

// pageCSS is served as a file rather than inlined so the pages need no
// style-src allowance of their own.
const pageCSS = `body { margin: 0; padding: 0; }
.apidocs-missing { max-width: 40rem; margin: 3rem auto; padding: 0 1rem;
  font: 16px/1.5 system-ui, sans-serif; }
.apidocs-missing code { background: #f2f2f2; padding: 0 .25em; }
`

// Register mounts the documentation on app:
//
//	GET /api/docs                      302 to /api/docs/swagger/
//	GET /api/docs/swagger/             Swagger UI
//	GET /api/docs/swagger/init.js      the script that starts Swagger UI
//	GET /api/docs/redoc/               ReDoc
//	GET /api/docs/page.css             the pages' own small stylesheet
//	GET /api/docs/assets/{name}        swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
//
// app is the root router: the pages link to these absolute paths. schemaURL
// is where the OpenAPI document is served ("/api/schema"). assets holds the
// three bundle files at its root; in the binary it is
// fs.Sub(web.Dist, "dist/api-docs"). When a bundle is missing (the SPA has
// not been built) the pages still load and say so in plain text, naming
// `make web`, instead of failing on a script that 404s.
func Register(app fiber.Router, schemaURL string, assets fs.FS) {
	// json.Marshal escapes <, > and & too, so the URL can't end the script.
	schemaJSON, _ := json.Marshal(schemaURL)
	swaggerInit := []byte(`"use strict";
// Kept in an external file so the page runs under a CSP without 'unsafe-inline'.
// validatorUrl: null stops Swagger UI sending the schema's URL to validator.swagger.io.
window.ui = SwaggerUIBundle({
  url: ` + string(schemaJSON) + `,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null
});
`)

	swaggerPage := template.Must(template.New("swagger").Parse(missingNotice + swaggerHTML))
	redocPage := template.Must(template.New("redoc").Parse(missingNotice + redocHTML))

	app.Get(docsPath, func(c *fiber.Ctx) error {
		return c.Redirect(docsPath+"/swagger/", fiber.StatusFound)
	})
	app.Get(docsPath+"/swagger/", func(c *fiber.Ctx) error {
		return sendPage(c, swaggerPage, pageData{
			SchemaURL: schemaURL,
			Missing:   missingAssets(assets, swaggerBundle, swaggerCSS),
		})
	})
	app.Get(docsPath+"/swagger/init.js", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentTypeJS)
		c.Set(fiber.HeaderCacheControl, pageCacheControl)
		return c.Send(swaggerInit)
	})
	app.Get(docsPath+"/redoc/", func(c *fiber.Ctx) error {
		return sendPage(c, redocPage, pageData{
			SchemaURL: schemaURL,
			Missing:   missingAssets(assets, redocBundle),
		})
	})
	app.Get(docsPath+"/page.css", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentTypeCSS)
		c.Set(fiber.HeaderCacheControl, pageCacheControl)
		return c.SendString(pageCSS)
	})
	app.Get(assetsPath+":name", func(c *fiber.Ctx) error {
		name := c.Params("name")
		contentType, ok := assetContentType(name)
		if !ok || assets == nil {
			return fiber.ErrNotFound
		}
		body, err := fs.ReadFile(assets, name)
		if errors.Is(err, fs.ErrNotExist) {
			return fiber.ErrNotFound
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, contentType)
		c.Set(fiber.HeaderCacheControl, assetCacheControl)
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Send(body)
	})
}

// missingAssets returns which of names assets lacks. It is checked on every
// page view, not once at startup, so that a dev server reading web/dist from
// disk picks up a `make web` run while it is up; a Stat is cheap.
func missingAssets(assets fs.FS, names ...string) []string {
	if assets == nil {
		return names
	}
	var missing []string
	for _, name := range names {
		if _, err := fs.Stat(assets, name); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

type pageData struct {
	SchemaURL string
	Missing   []string
}

func sendPage(c *fiber.Ctx, page *template.Template, data pageData) error {
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, contentTypeHTML)
	c.Set(fiber.HeaderCacheControl, pageCacheControl)
	return c.Send(buf.Bytes())
}

// missingNotice is shown in place of the docs when bundles are missing. It is
// plain HTML so it reads the same whether or not scripts run.
const missingNotice = `{{define "missing"}}<main class="apidocs-missing">
<h1>Switchboard API</h1>
<p>The API documentation assets are missing: {{range $i, $n := .Missing}}{{if $i}}, {{end}}<code>{{$n}}</code>{{end}}.
They are copied from npm when the web app is built: run <code>make web</code>, then rebuild and restart the server.</p>
<p>The OpenAPI schema itself is served at <a href="{{.SchemaURL}}">{{.SchemaURL}}</a>.</p>
</main>{{end}}`

const swaggerHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard API</title>
<link rel="stylesheet" href="/api/docs/page.css">
{{if not .Missing}}<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">{{end}}
</head>
<body>
{{if .Missing}}{{template "missing" .}}{{else}}<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/swagger/init.js"></script>{{end}}
</body>
</html>
`

const redocHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard API</title>
<link rel="stylesheet" href="/api/docs/page.css">
</head>
<body>
{{if .Missing}}{{template "missing" .}}{{else}}<redoc spec-url="{{.SchemaURL}}"></redoc>
<script src="/api/docs/assets/redoc.standalone.js"></script>{{end}}
</body>
</html>
`
