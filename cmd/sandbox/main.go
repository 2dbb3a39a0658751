// Command sandbox runs the provider simulator (internal/sandbox) on its own,
// for benchmarks and for poking at it without the API: the provider APIs
// under /sendgrid/, /twilio/, /telegram/, /instagram/ and the control API
// under /_api/.
//
// Flags: -addr (listen address), -state (JSON file keeping registrations),
// -seed (outcome dice; 0 = from the clock), -public-url (its own URL in
// media links). LOG_LEVEL and LOG_FORMAT work as for the other binaries.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/internal/logging"
	"github.com/switchboard/switchboard/internal/sandbox"
)

func main() {
	// Not cli.Exit: package cli pulls in the whole app; this binary stays small.
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	stateFile := flag.String("state", "", "JSON file keeping registrations across restarts (optional)")
	seed := flag.Int64("seed", 0, "seed of the outcome dice; 0 seeds from the clock")
	publicURL := flag.String("public-url", "", "the sandbox's own URL in media links (default: from each request)")
	flag.Parse()

	logger, closer, err := logging.New(logging.Options{
		Level: envOr("LOG_LEVEL", "info"), Format: envOr("LOG_FORMAT", "console"), File: os.Getenv("LOG_FILE"),
	}, "sandbox")
	if err != nil {
		return err
	}
	defer closer.Close()

	sb := sandbox.New(sandbox.Options{
		Now: time.Now, Logger: logger, StateFile: *stateFile, Seed: *seed, PublicURL: *publicURL,
	})
	defer sb.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           sb.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info().Str("addr", ln.Addr().String()).Str("state", *stateFile).Msg("sandbox listening")

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	logger.Info().Msg("sandbox stopped")
	return err
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
