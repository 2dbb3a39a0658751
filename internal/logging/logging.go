// Package logging builds the zerolog logger every binary uses, bridges
// log/slog (River's logger) onto it, and carries the request id through
// contexts so a request's lines and the jobs it enqueues share it.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Options are the logger settings from the environment.
type Options struct {
	Level  string // trace, debug, info, warn, error
	Format string // json or console
	File   string // optional: also write JSON lines to this rotating file
}

// New returns the process logger and a closer for its file, if any.
func New(opts Options, service string) (zerolog.Logger, io.Closer, error) {
	level, err := zerolog.ParseLevel(opts.Level)
	if err != nil {
		return zerolog.Nop(), nil, fmt.Errorf("parsing log level: %w", err)
	}
	var out io.Writer = os.Stderr
	if opts.Format == "console" {
		out = zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}
	}
	var closer io.Closer = io.NopCloser(nil)
	if opts.File != "" {
		lj := &lumberjack.Logger{Filename: opts.File, MaxSize: 100, MaxBackups: 5, MaxAge: 28, Compress: true}
		out = zerolog.MultiLevelWriter(out, lj)
		closer = lj
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	logger := zerolog.New(out).Level(level).With().Timestamp().Str("service", service).Logger()
	return logger, closer, nil
}

type requestIDKey struct{}

// WithRequestID stores a request id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Slog returns a *slog.Logger that writes through logger. A record logged
// with a context carrying a zerolog logger (zerolog.Ctx) uses that one, so
// River's lines inside a job carry the job's request id.
func Slog(logger zerolog.Logger) *slog.Logger {
	return slog.New(&slogHandler{logger: logger})
}

type slogHandler struct {
	logger zerolog.Logger
	attrs  []groupedAttr
	group  string
}

// groupedAttr keeps the group that was open when the attr was added: a
// later WithGroup must not pull earlier attrs into it.
type groupedAttr struct {
	group string
	attr  slog.Attr
}

func (h *slogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return h.logger.GetLevel() <= zerologLevel(level)
}

func (h *slogHandler) Handle(ctx context.Context, r slog.Record) error {
	logger := h.logger
	if l := zerolog.Ctx(ctx); l != nil && l.GetLevel() != zerolog.Disabled {
		logger = *l
	}
	ev := logger.WithLevel(zerologLevel(r.Level))
	for _, ga := range h.attrs {
		ev = addAttr(ev, ga.group, ga.attr)
	}
	r.Attrs(func(a slog.Attr) bool {
		ev = addAttr(ev, h.group, a)
		return true
	})
	ev.Msg(r.Message)
	return nil
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	all := append([]groupedAttr{}, h.attrs...)
	for _, a := range attrs {
		all = append(all, groupedAttr{group: h.group, attr: a})
	}
	return &slogHandler{logger: h.logger, attrs: all, group: h.group}
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &slogHandler{logger: h.logger, attrs: h.attrs, group: g}
}

func addAttr(ev *zerolog.Event, group string, a slog.Attr) *zerolog.Event {
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		for _, ga := range v.Group() {
			ev = addAttr(ev, key, ga)
		}
		return ev
	case slog.KindString:
		return ev.Str(key, v.String())
	case slog.KindInt64:
		return ev.Int64(key, v.Int64())
	case slog.KindUint64:
		return ev.Uint64(key, v.Uint64())
	case slog.KindFloat64:
		return ev.Float64(key, v.Float64())
	case slog.KindBool:
		return ev.Bool(key, v.Bool())
	case slog.KindDuration:
		return ev.Dur(key, v.Duration())
	case slog.KindTime:
		return ev.Time(key, v.Time())
	default:
		if err, ok := v.Any().(error); ok {
			return ev.AnErr(key, err)
		}
		return ev.Interface(key, v.Any())
	}
}

func zerologLevel(l slog.Level) zerolog.Level {
	switch {
	case l >= slog.LevelError:
		return zerolog.ErrorLevel
	case l >= slog.LevelWarn:
		return zerolog.WarnLevel
	case l >= slog.LevelInfo:
		return zerolog.InfoLevel
	default:
		return zerolog.DebugLevel
	}
}
