package providers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
)

func TestClassify(t *testing.T) {
	t.Parallel()

	tests := []struct {
		status int
		err    error
		want   providers.Kind
	}{
		{0, errors.New("connection refused"), providers.KindRetryable},
		{0, context.DeadlineExceeded, providers.KindRetryable},
		{500, nil, providers.KindRetryable},
		{502, nil, providers.KindRetryable},
		{503, nil, providers.KindRetryable},
		{408, nil, providers.KindRetryable},
		{429, nil, providers.KindRateLimited},
		{400, nil, providers.KindPermanent},
		{401, nil, providers.KindPermanent},
		{403, nil, providers.KindPermanent},
		{404, nil, providers.KindPermanent},
		{302, nil, providers.KindPermanent},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %v", tt.status, tt.err), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, providers.Classify(tt.status, tt.err))
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()

	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{" 5 ", 5 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, providers.ParseRetryAfter(tt.in, now))
		})
	}
}

func TestErrorMessageAndAs(t *testing.T) {
	t.Parallel()

	inner := errors.New("boom")
	e := &providers.Error{Provider: "twilio", Operation: "send", Kind: providers.KindPermanent, Status: 400,
		Code: "21211", Reason: "The 'To' number is not a valid phone number.", Err: inner}
	require.Equal(t, "twilio send: permanent (status 400, code 21211): The 'To' number is not a valid phone number.", e.Error())

	wrapped := fmt.Errorf("sending message: %w", e)
	got, ok := providers.AsError(wrapped)
	require.True(t, ok)
	require.Same(t, e, got)
	require.ErrorIs(t, wrapped, inner)

	_, ok = providers.AsError(errors.New("plain"))
	require.False(t, ok)

	rl := &providers.Error{Provider: "telegram", Operation: "send", Kind: providers.KindRateLimited, RetryAfter: 3 * time.Second, Err: inner}
	require.Equal(t, "telegram send: rate_limited (retry after 3s): boom", rl.Error())
}

func TestTransportError(t *testing.T) {
	t.Parallel()

	e := providers.TransportError("sendgrid", "send", context.DeadlineExceeded)
	require.Equal(t, providers.KindRetryable, e.Kind)
	require.Zero(t, e.Status)
	require.Contains(t, e.Reason, "timed out")
	require.ErrorIs(t, e, context.DeadlineExceeded)
}

func TestNewHTTPClient(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "b")
	}))
	t.Cleanup(srv.Close)

	res, err := providers.NewHTTPClient(time.Second, false).Get(srv.URL + "/a")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)

	res, err = providers.NewHTTPClient(time.Second, true).Get(srv.URL + "/a")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

func TestOpenAttachment(t *testing.T) {
	t.Parallel()

	_, err := providers.OpenAttachment("x", "send", &providers.Attachment{Filename: "a", Open: func() (io.ReadCloser, error) {
		return nil, fs.ErrNotExist
	}})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindPermanent, pe.Kind)

	_, err = providers.OpenAttachment("x", "send", &providers.Attachment{Filename: "a", Open: func() (io.ReadCloser, error) {
		return nil, errors.New("s3: connection reset")
	}})
	pe, _ = providers.AsError(err)
	require.Equal(t, providers.KindRetryable, pe.Kind)

	rc, err := providers.OpenAttachment("x", "send", &providers.Attachment{Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("hi")), nil
	}})
	require.NoError(t, err)
	rc.Close()
}
