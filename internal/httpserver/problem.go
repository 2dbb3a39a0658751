package httpserver

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/logging"
)

// Problem is an RFC 9457 problem detail, the body of every error answer.
type Problem struct {
	Type       string              `json:"type,omitempty" doc:"A URI naming the problem type; about:blank when the status says it all."`
	Title      string              `json:"title" doc:"The status text."`
	Status     int                 `json:"status" doc:"The HTTP status code."`
	Detail     string              `json:"detail,omitempty" doc:"What went wrong, for a person."`
	RequestID  string              `json:"request_id,omitempty" doc:"The request id; quote it when asking for help."`
	ExistingID string              `json:"existing_id,omitempty" doc:"On a conflict with an existing resource (e.g. a duplicate contact), that resource's id."`
	Errors     []*huma.ErrorDetail `json:"errors,omitempty" doc:"The inputs at fault, each with its location (e.g. body.email) and the reason."`
}

// Error makes Problem an error.
func (p *Problem) Error() string { return p.Detail }

// GetStatus makes Problem a huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType answers as application/problem+json.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

var kindStatus = map[fault.Kind]int{
	fault.Invalid:         http.StatusUnprocessableEntity,
	fault.BadRequest:      http.StatusBadRequest,
	fault.Unauthorized:    http.StatusUnauthorized,
	fault.Forbidden:       http.StatusForbidden,
	fault.NotFound:        http.StatusNotFound,
	fault.Conflict:        http.StatusConflict,
	fault.TooManyRequests: http.StatusTooManyRequests,
	fault.Unavailable:     http.StatusServiceUnavailable,
	fault.NotImplemented:  http.StatusNotImplemented,
}

// newProblem is the single place where an error becomes an HTTP answer.
// Classified errors (fault.Error) keep their message; anything else is a 500
// whose cause is logged with the request id and never shown.
func newProblem(ctx context.Context, setHeader func(string, string), status int, msg string, errs ...error) *Problem {
	p := &Problem{Status: status, Detail: msg, RequestID: logging.RequestID(ctx)}
	for _, err := range errs {
		if err == nil {
			continue
		}
		if fe, ok := fault.As(err); ok {
			p.Status = kindStatus[fe.Kind]
			p.Detail = fe.Message
			p.ExistingID = fe.ExistingID
			for _, f := range fe.Fields {
				p.Errors = append(p.Errors, &huma.ErrorDetail{Location: f.Location, Message: f.Message, Value: f.Value})
			}
			if fe.RetryAfter > 0 && setHeader != nil {
				setHeader("Retry-After", strconv.Itoa(int(fe.RetryAfter.Seconds()+0.999)))
			}
			continue
		}
		var detailer huma.ErrorDetailer
		if errors.As(err, &detailer) && status < 500 {
			p.Errors = append(p.Errors, detailer.ErrorDetail())
			continue
		}
		if status < 500 {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Message: err.Error()})
			continue
		}
		logger := zerolog.Ctx(ctx)
		logger.Error().Err(err).Int("status", status).Msg("request failed")
	}
	for _, d := range p.Errors {
		if d != nil && echoesSecret(d.Location) {
			d.Value = nil
		}
	}
	if p.Status >= 500 {
		p.Errors = nil
		if p.Status == http.StatusInternalServerError {
			p.Detail = "internal error; quote the request id when reporting it"
		}
	}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	p.Title = http.StatusText(p.Status)
	return p
}

// echoesSecret reports whether an input's value must not be echoed back
// (nor logged with the answer): secret-looking fields, and the raw body
// that content-type errors would otherwise quote.
func echoesSecret(location string) bool {
	if location == "body" {
		return true
	}
	return secretKey.MatchString(location[strings.LastIndex(location, ".")+1:])
}

// installHumaErrors routes Huma's error construction through newProblem.
// Huma exposes this hook only as package variables; they are set once per
// process (several servers in one test binary must not race on them).
func installHumaErrors() { humaErrorsOnce.Do(setHumaErrors) }

var humaErrorsOnce sync.Once

func setHumaErrors() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return newProblem(context.Background(), nil, status, msg, errs...)
	}
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		if hctx == nil {
			return newProblem(context.Background(), nil, status, msg, errs...)
		}
		return newProblem(hctx.Context(), hctx.SetHeader, status, msg, errs...)
	}
}

// fiberErrorHandler answers errors raised outside Huma (unknown routes,
// bodies over the limit, raw handlers) with the same problem+json.
func fiberErrorHandler(c *fiber.Ctx, err error) error {
	status := http.StatusInternalServerError
	msg := ""
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, msg = fe.Code, fe.Message
		err = nil
	}
	p := newProblem(c.UserContext(), func(k, v string) { c.Set(k, v) }, status, msg, err)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Status(p.Status).JSON(p, "application/problem+json")
}

// WriteProblem answers a raw Fiber handler's error as problem+json.
func WriteProblem(c *fiber.Ctx, err error) error {
	return fiberErrorHandler(c, err)
}

// HumaContext unwraps the Fiber context under a Huma context.
func HumaContext(ctx huma.Context) *fiber.Ctx { return humafiber.Unwrap(ctx) }
