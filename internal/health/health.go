// Package health answers the orchestrator's probes: /healthz says the process
// is alive (restart it if not), /readyz says it can serve traffic now (take it
// out of the load balancer if not). They are kept apart so that a database
// outage takes replicas out of rotation without getting them all restarted.
package health

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
)

// CheckTimeout bounds a readiness check. It is shorter than the usual probe
// timeouts so that the probe gets a reasoned 503 rather than a timeout.
const CheckTimeout = 2 * time.Second

// Register mounts GET /healthz, which answers 200 {"status":"ok"} whenever
// the process can answer at all, and GET /readyz, which answers 200
// {"status":"ready"} when check returns nil within CheckTimeout, and
// otherwise 503 application/problem+json whose "detail" is check's error
// message (or says the check timed out).
//
// The detail is shown to whoever calls /readyz, so check should return errors
// that say what failed without internals, for example
// errors.New("database unreachable") or errors.New("migrations behind"),
// and log the underlying cause itself. check gets a context that ends after
// CheckTimeout; a check that ignores it is abandoned, not waited for.
func Register(app fiber.Router, check func(ctx context.Context) error) {
	app.Get("/healthz", func(c *fiber.Ctx) error {
		noStore(c)
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", func(c *fiber.Ctx) error {
		noStore(c)
		if err := runCheck(c.UserContext(), check); err != nil {
			return notReady(c, err.Error())
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
}

// errTimedOut is reported when check outlives CheckTimeout.
var errTimedOut = errors.New("readiness check timed out after " + CheckTimeout.String())

// runCheck runs check under CheckTimeout. It runs it on its own goroutine so
// that a check stuck somewhere that ignores its context still lets the probe
// answer in time; the buffered channel lets that goroutine finish later
// without anyone receiving.
func runCheck(ctx context.Context, check func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- check(ctx) }()
	select {
	case err := <-done:
		if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return errTimedOut
		}
		return err
	case <-ctx.Done():
		return errTimedOut
	}
}

// problem is an RFC 9457 problem document, the error shape every endpoint of
// the API answers with.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func notReady(c *fiber.Ctx, detail string) error {
	return c.Status(fiber.StatusServiceUnavailable).JSON(problem{
		Type:   "about:blank",
		Title:  "Service Unavailable",
		Status: fiber.StatusServiceUnavailable,
		Detail: detail,
	}, "application/problem+json")
}

// noStore keeps caches and proxies from answering a probe with a stale
// verdict.
func noStore(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
}
