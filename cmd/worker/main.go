// Command worker runs River workers for every queue. Leader election is off:
// the scheduler owns periodic jobs and River's maintenance, so any number of
// workers can run.
package main

import (
	"context"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/cli"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

func main() { cli.Exit(run()) }

func run() error {
	ctx, d, cleanup, err := cli.Boot("worker")
	if err != nil {
		return err
	}
	defer cleanup()
	workers, err := app.Workers(d)
	if err != nil {
		return err
	}
	client, err := jobqueue.NewClient(d.Pool, jobqueue.Options{
		Logger: d.Logger, Workers: workers, Queues: d.Config.WorkerConcurrency,
	})
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return err
	}
	d.Logger.Info().Interface("queues", d.Config.WorkerConcurrency).Msg("worker started")
	<-ctx.Done()
	return stop(client, d)
}

// stop lets running jobs finish for 20 s, then cancels them; River rescues
// whatever was cut off.
func stop(client *jobqueue.Client, d app.Deps) error {
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := client.Stop(sctx); err != nil {
		d.Logger.Warn().Err(err).Msg("jobs still running at deadline; cancelling")
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		return client.StopAndCancel(cctx)
	}
	d.Logger.Info().Msg("worker stopped")
	return nil
}
