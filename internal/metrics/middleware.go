package metrics

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// unmatchedRoute labels requests that no route handled, so that scanners
// probing random URLs add one series rather than one per URL.
const unmatchedRoute = "unmatched"

// Middleware records http_requests_total{method,route,status},
// http_request_duration_seconds{method,route} and http_requests_in_flight.
// route is the pattern of the route that handled the request (for example
// "/api/v1/contacts/:id"), never the raw URL, which would give each id its
// own series; requests no route matched are labelled "unmatched".
//
// Register it first (app.Use before everything else) so it times the whole
// chain. An error returned by the chain is handed to the app's ErrorHandler
// here, as Fiber's own logger middleware does, so that the status recorded is
// the one the client receives; middleware registered before this one
// therefore sees a nil error and the finished response.
func (m *Metrics) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		m.inFlight.Inc()
		// Deferred so a panic that escapes to an outer recover still
		// leaves the gauge right.
		defer m.inFlight.Dec()

		err := c.Next()
		route := routeLabel(c, err)
		if err != nil {
			// Fiber runs its ErrorHandler only once the whole chain has
			// returned, so until then the response still says 200.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}

		method := methodLabel(c.Method())
		status := strconv.Itoa(c.Response().StatusCode())
		m.requests.WithLabelValues(method, route, status).Inc()
		m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// routeLabel names the route that handled the request: the pattern of the
// last route Fiber entered, which for a middleware that answered by itself
// (auth refusing, a mounted handler) is its registered prefix, as bounded as
// any route pattern. When the chain fell through to Fiber's own 404 or 405,
// that last route is just whichever middleware ran last, so such requests are
// "unmatched" instead.
func routeLabel(c *fiber.Ctx, err error) string {
	if fellThrough(c, err) {
		return unmatchedRoute
	}
	r := c.Route()
	if r == nil || r.Path == "" {
		return unmatchedRoute
	}
	return r.Path
}

// fellThrough reports whether err is the one Fiber's router returns when no
// route is left to match: ErrMethodNotAllowed itself, or a 404 worded
// "Cannot GET /path". A handler's own fiber.ErrNotFound ("Not Found") is a
// matched route answering 404 and keeps its route.
func fellThrough(c *fiber.Ctx, err error) bool {
	if errors.Is(err, fiber.ErrMethodNotAllowed) {
		return true
	}
	var fe *fiber.Error
	return errors.As(err, &fe) && fe.Code == fiber.StatusNotFound &&
		strings.HasPrefix(fe.Message, "Cannot "+c.Method()+" ")
}

// methodLabel returns a constant string for the method. Fiber's c.Method()
// points into fasthttp's reusable request buffer, and the Prometheus vectors
// keep label strings as given, so a label taken straight from it would be
// rewritten by a later request.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	case fiber.MethodConnect:
		return fiber.MethodConnect
	case fiber.MethodTrace:
		return fiber.MethodTrace
	default:
		return "OTHER"
	}
}
