package apidocs

import (
	"io"
	"net/http/httptest"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

func TestRegister(t *testing.T) {
	t.Parallel()

	type response struct {
		status int
		header map[string]string
		body   string
	}

	allAssets := func() fstest.MapFS {
		return fstest.MapFS{
			"swagger-ui-bundle.js": {Data: []byte("/* swagger bundle */")},
			"swagger-ui.css":       {Data: []byte("/* swagger css */")},
			"redoc.standalone.js":  {Data: []byte("/* redoc bundle */")},
			"secret.txt":           {Data: []byte("not for you")},
		}
	}

	setup := func(t *testing.T, assets fstest.MapFS) *fiber.App {
		t.Helper()
		app := fiber.New()
		Register(app, "/api/schema", assets)
		return app
	}

	get := func(t *testing.T, app *fiber.App, path string) response {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		header := map[string]string{}
		for k := range resp.Header {
			header[k] = resp.Header.Get(k)
		}
		return response{status: resp.StatusCode, header: header, body: string(body)}
	}

	// inlineScript matches a <script> element with a body, which a CSP
	// without 'unsafe-inline' would block.
	inlineScript := regexp.MustCompile(`<script[^>]*>\s*[^<\s]`)

	t.Run("DocsRedirectsToSwagger", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		r := get(t, app, "/api/docs")
		require.Equal(t, fiber.StatusFound, r.status)
		require.Equal(t, "/api/docs/swagger/", r.header["Location"])
	})

	t.Run("SwaggerPage", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		for _, path := range []string{"/api/docs/swagger/", "/api/docs/swagger"} {
			r := get(t, app, path)
			require.Equal(t, 200, r.status, path)
			require.Equal(t, "text/html; charset=utf-8", r.header["Content-Type"])
			require.Contains(t, r.body, "<title>Switchboard API</title>")
			require.Contains(t, r.body, `<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">`)
			require.Contains(t, r.body, `<script src="/api/docs/assets/swagger-ui-bundle.js"></script>`)
			require.Contains(t, r.body, `<script src="/api/docs/swagger/init.js"></script>`)
			require.NotRegexp(t, inlineScript, r.body)
			require.NotContains(t, r.body, "make web")
			require.NotContains(t, r.body, "//cdn")
		}
	})

	t.Run("SwaggerInit", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		r := get(t, app, "/api/docs/swagger/init.js")
		require.Equal(t, 200, r.status)
		require.Equal(t, "text/javascript; charset=utf-8", r.header["Content-Type"])
		require.Contains(t, r.body, `SwaggerUIBundle({`)
		require.Contains(t, r.body, `url: "/api/schema",`)
		require.Contains(t, r.body, `dom_id: "#swagger-ui",`)
		require.Contains(t, r.body, `deepLinking: true,`)
		require.Contains(t, r.body, `persistAuthorization: true,`)
	})

	t.Run("SchemaURLIsEscaped", func(t *testing.T) {
		t.Parallel()
		app := fiber.New()
		Register(app, `/s"</script><b>`, allAssets())

		js := get(t, app, "/api/docs/swagger/init.js").body
		require.Contains(t, js, `url: "/s\"\u003c/script\u003e\u003cb\u003e",`)
		html := get(t, app, "/api/docs/redoc/").body
		// html/template treats spec-url as a URL attribute and percent-encodes.
		require.Contains(t, html, `spec-url="/s%22%3c/script%3e%3cb%3e"`)
	})

	t.Run("RedocPage", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		r := get(t, app, "/api/docs/redoc/")
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body, "<title>Switchboard API</title>")
		require.Contains(t, r.body, `<redoc spec-url="/api/schema"></redoc>`)
		require.Contains(t, r.body, `<script src="/api/docs/assets/redoc.standalone.js"></script>`)
		require.NotRegexp(t, inlineScript, r.body)
		require.NotContains(t, r.body, "make web")
	})

	t.Run("Assets", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		for _, tt := range []struct {
			name, contentType, body string
		}{
			{"swagger-ui-bundle.js", "text/javascript; charset=utf-8", "/* swagger bundle */"},
			{"swagger-ui.css", "text/css; charset=utf-8", "/* swagger css */"},
			{"redoc.standalone.js", "text/javascript; charset=utf-8", "/* redoc bundle */"},
		} {
			r := get(t, app, "/api/docs/assets/"+tt.name)
			require.Equal(t, 200, r.status, tt.name)
			require.Equal(t, tt.contentType, r.header["Content-Type"], tt.name)
			require.Equal(t, "public, max-age=86400", r.header["Cache-Control"], tt.name)
			require.Equal(t, tt.body, r.body, tt.name)
		}
	})

	t.Run("OnlyKnownAssets", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		require.Equal(t, 404, get(t, app, "/api/docs/assets/secret.txt").status)
		require.Equal(t, 404, get(t, app, "/api/docs/assets/..%2fsecret.txt").status)
	})

	t.Run("MissingAssets", func(t *testing.T) {
		t.Parallel()
		app := setup(t, fstest.MapFS{"swagger-ui.css": {Data: []byte("x")}})

		r := get(t, app, "/api/docs/swagger/")
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body, "<title>Switchboard API</title>")
		require.Contains(t, r.body, "assets are missing")
		require.Contains(t, r.body, "<code>swagger-ui-bundle.js</code>")
		require.NotContains(t, r.body, "<code>swagger-ui.css</code>")
		require.Contains(t, r.body, "<code>make web</code>")
		require.NotContains(t, r.body, "<script")

		r = get(t, app, "/api/docs/redoc/")
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body, "<code>redoc.standalone.js</code>")
		require.Contains(t, r.body, "<code>make web</code>")
		require.NotContains(t, r.body, "<script")

		require.Equal(t, 404, get(t, app, "/api/docs/assets/redoc.standalone.js").status)
	})

	t.Run("NilAssets", func(t *testing.T) {
		t.Parallel()
		app := fiber.New()
		Register(app, "/api/schema", nil)

		r := get(t, app, "/api/docs/redoc/")
		require.Equal(t, 200, r.status)
		require.Contains(t, r.body, "make web")
		require.Equal(t, 404, get(t, app, "/api/docs/assets/swagger-ui.css").status)
	})

	t.Run("PageCSS", func(t *testing.T) {
		t.Parallel()
		app := setup(t, allAssets())

		r := get(t, app, "/api/docs/page.css")
		require.Equal(t, 200, r.status)
		require.Equal(t, "text/css; charset=utf-8", r.header["Content-Type"])
	})
}
