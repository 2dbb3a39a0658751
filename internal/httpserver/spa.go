package httpserver

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// reservedPrefixes are never answered with the SPA's index.html.
var reservedPrefixes = []string{"/api/", "/riverui", "/metrics", "/healthz", "/readyz", "/sandbox/", "/u/"}

// MountSPA serves the built dashboard from dist: files as they are (hashed
// assets cached for a year), and index.html for any other path that is not
// the API's, so that deep links work. Register it after every other route.
func MountSPA(app *fiber.App, dist fs.FS) {
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		index = []byte(`<!doctype html><meta charset="utf-8"><title>Switchboard</title>` +
			`<p>The dashboard is not built. Run <code>make web</code> (or <code>make run</code>), then reload.</p>`)
	}
	app.Use(func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return c.Next()
		}
		p := c.Path()
		for _, prefix := range reservedPrefixes {
			if strings.HasPrefix(p, prefix) || p == strings.TrimSuffix(prefix, "/") {
				return c.Next()
			}
		}
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name != "" && name != "index.html" {
			if b, err := fs.ReadFile(dist, name); err == nil {
				if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
					c.Set(fiber.HeaderContentType, ct)
				}
				if strings.HasPrefix(name, "assets/") {
					c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
				} else {
					c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
				}
				return c.Send(b)
			}
			if path.Ext(name) != "" {
				return fiber.ErrNotFound
			}
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(index)
	})
}
