// Command api serves Switchboard's HTTP API, the dashboard, webhooks, River
// UI, docs and metrics. Subcommands: migrate (apply migrations and exit),
// seed (create the demo org and logins), openapi (print the schema).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/cli"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbmigrate"
	"github.com/switchboard/switchboard/internal/logging"
)

func main() {
	cmd := ""
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "":
		cli.Exit(serve())
	case "migrate":
		cli.Exit(migrate())
	case "seed":
		cli.Exit(seed())
	case "openapi":
		cli.Exit(openapi())
	default:
		fmt.Fprintf(os.Stderr, "usage: %s [migrate|seed|openapi]\n", os.Args[0])
		os.Exit(2)
	}
}

func serve() error {
	ctx, d, cleanup, err := cli.Boot("api")
	if err != nil {
		return err
	}
	defer cleanup()
	api, err := app.NewAPI(d)
	if err != nil {
		return err
	}
	if err := api.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", d.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", d.Config.HTTPAddr, err)
	}
	d.Logger.Info().Str("addr", ln.Addr().String()).Str("url", d.Config.PublicBaseURL).Str("env", d.Config.AppEnv).Msg("api listening")
	err = api.Serve(ctx, ln)
	d.Logger.Info().Msg("api stopped")
	return err
}

func migrate() error {
	ctx, d, cleanup, err := cli.Boot("migrate")
	if err != nil {
		return err
	}
	defer cleanup()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	res, err := dbmigrate.Up(ctx, d.Pool, logging.Slog(d.Logger))
	if err != nil {
		return err
	}
	d.Logger.Info().Uint("app_version", res.AppVersion).Int("river_applied", res.RiverApplied).Msg("migrations applied")
	return nil
}

func seed() error {
	ctx, d, cleanup, err := cli.Boot("seed")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := app.Seed(ctx, d.Pool, d.Config); err != nil {
		return err
	}
	d.Logger.Info().Str("owner", app.DemoEmail).Str("staff", app.StaffEmail).Msg("demo data seeded")
	return nil
}

func openapi() error {
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://unused"
		}
		if k == "DATA_DIR" {
			return os.TempDir() + "/switchboard-openapi"
		}
		return os.Getenv(k)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	pool, err := cli.OpenLazyPool()
	if err != nil {
		return err
	}
	defer pool.Close()
	api, err := app.NewAPI(app.Deps{Config: cfg, Pool: pool, Logger: cli.Quiet(), Now: time.Now})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(api.Server.API.OpenAPI())
}
