package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func TestRequestID(t *testing.T) {
	t.Parallel()

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		ctx := WithRequestID(context.Background(), "req-1")
		require.Equal(t, "req-1", RequestID(ctx))
		require.Equal(t, "req-2", RequestID(WithRequestID(ctx, "req-2")), "the innermost id wins")
	})

	t.Run("Absent", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, RequestID(context.Background()))
	})
}

func TestNew(t *testing.T) {
	t.Parallel()

	t.Run("BadLevel", func(t *testing.T) {
		t.Parallel()
		_, _, err := New(Options{Level: "loud", Format: "json"}, "api")
		require.ErrorContains(t, err, "parsing log level")
	})
}

func TestSlog(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		out    *bytes.Buffer
		logger *slog.Logger
	}

	setup := func(t *testing.T, level zerolog.Level) *testBundle {
		t.Helper()
		out := &bytes.Buffer{}
		return &testBundle{out: out, logger: Slog(zerolog.New(out).Level(level))}
	}

	// lines decodes the JSON lines written to out.
	lines := func(t *testing.T, out *bytes.Buffer) []map[string]any {
		t.Helper()
		var res []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l == "" {
				continue
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &m), "line: %s", l)
			res = append(res, m)
		}
		return res
	}

	one := func(t *testing.T, out *bytes.Buffer) map[string]any {
		t.Helper()
		ls := lines(t, out)
		require.Len(t, ls, 1, "output: %s", out)
		return ls[0]
	}

	t.Run("Levels", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			level slog.Level
			want  string
		}{
			{slog.LevelDebug - 4, "debug"},
			{slog.LevelDebug, "debug"},
			{slog.LevelInfo, "info"},
			{slog.LevelInfo + 2, "info"},
			{slog.LevelWarn, "warn"},
			{slog.LevelError, "error"},
			{slog.LevelError + 4, "error"},
		}
		for _, tt := range tests {
			t.Run(tt.level.String(), func(t *testing.T) {
				t.Parallel()
				b := setup(t, zerolog.TraceLevel)
				b.logger.Log(context.Background(), tt.level, "hello")
				line := one(t, b.out)
				require.Equal(t, tt.want, line["level"])
				require.Equal(t, "hello", line["message"])
			})
		}
	})

	t.Run("BelowLevelDropped", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.WarnLevel)

		require.False(t, b.logger.Enabled(context.Background(), slog.LevelInfo))
		require.True(t, b.logger.Enabled(context.Background(), slog.LevelWarn))
		b.logger.Debug("debug")
		b.logger.Info("info")
		b.logger.Warn("warn")
		line := one(t, b.out)
		require.Equal(t, "warn", line["message"])
	})

	t.Run("Attrs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		b.logger.Info("attrs",
			slog.String("s", "text"),
			slog.Int("i", -3),
			slog.Uint64("u", 7),
			slog.Float64("f", 1.5),
			slog.Bool("b", true),
			slog.Duration("d", 1500*time.Millisecond),
			slog.Time("t", at),
			slog.Any("err", errors.New("boom")),
			slog.Any("obj", map[string]int{"k": 1}),
		)
		line := one(t, b.out)
		require.Equal(t, "text", line["s"])
		require.InDelta(t, -3, line["i"], 0)
		require.InDelta(t, 7, line["u"], 0)
		require.InDelta(t, 1.5, line["f"], 0)
		require.Equal(t, true, line["b"])
		require.InDelta(t, 1500, line["d"], 0, "zerolog writes durations in milliseconds")
		require.NotEmpty(t, line["t"])
		require.Equal(t, "boom", line["err"])
		require.Equal(t, map[string]any{"k": float64(1)}, line["obj"])
	})

	t.Run("WithAttrs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		l := b.logger.With("component", "river")
		l.Info("first", "n", 1)
		l.With("extra", true).Info("second")
		b.logger.Info("third")
		ls := lines(t, b.out)
		require.Len(t, ls, 3)
		require.Equal(t, "river", ls[0]["component"])
		require.InDelta(t, 1, ls[0]["n"], 0)
		require.Equal(t, "river", ls[1]["component"])
		require.Equal(t, true, ls[1]["extra"])
		require.NotContains(t, ls[2], "component", "With does not change the parent")
	})

	t.Run("Groups", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		b.logger.WithGroup("job").Info("grouped", "id", 5)
		b.logger.WithGroup("a").WithGroup("b").Info("nested", "k", "v")
		b.logger.Info("inline group", slog.Group("queue", slog.String("name", "email"), slog.Int("workers", 3)))
		ls := lines(t, b.out)
		require.Len(t, ls, 3)
		require.InDelta(t, 5, ls[0]["job.id"], 0)
		require.Equal(t, "v", ls[1]["a.b.k"])
		require.Equal(t, "email", ls[2]["queue.name"])
		require.InDelta(t, 3, ls[2]["queue.workers"], 0)
	})

	t.Run("AttrsBeforeGroupStayOutsideIt", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		// slog's contract (and slog.JSONHandler): attributes added before
		// WithGroup are not qualified by the group opened after them.
		b.logger.With("service", "worker").WithGroup("job").Info("m", "id", 5)
		line := one(t, b.out)
		require.Equal(t, "worker", line["service"], "line: %v", line)
		require.NotContains(t, line, "job.service")
		require.InDelta(t, 5, line["job.id"], 0)
	})

	t.Run("ContextLoggerUsed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		reqOut := &bytes.Buffer{}
		reqLogger := zerolog.New(reqOut).With().Str("request_id", "req-42").Logger()
		ctx := reqLogger.WithContext(context.Background())
		b.logger.InfoContext(ctx, "inside a job", "k", "v")

		require.Empty(t, b.out.String(), "the context's logger takes the line")
		line := one(t, reqOut)
		require.Equal(t, "req-42", line["request_id"])
		require.Equal(t, "inside a job", line["message"])
		require.Equal(t, "v", line["k"])
	})

	t.Run("ContextWithoutLogger", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		b.logger.InfoContext(WithRequestID(context.Background(), "req-1"), "plain")
		line := one(t, b.out)
		require.Equal(t, "plain", line["message"])
	})

	t.Run("DisabledContextLoggerIgnored", func(t *testing.T) {
		t.Parallel()
		b := setup(t, zerolog.DebugLevel)

		nop := zerolog.Nop()
		b.logger.InfoContext(nop.WithContext(context.Background()), "still logged")
		line := one(t, b.out)
		require.Equal(t, "still logged", line["message"])
	})
}
