// Command scheduler owns River's periodic jobs and maintenance. Run one or
// two: they elect a leader, and only the leader inserts periodic jobs.
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
	ctx, d, cleanup, err := cli.Boot("scheduler")
	if err != nil {
		return err
	}
	defer cleanup()
	// River starts only clients that have a queue, so the scheduler listens
	// on one that no job is ever inserted into: it works nothing, elects a
	// leader, and the leader inserts periodic jobs and runs maintenance.
	workers, err := app.Workers(d)
	if err != nil {
		return err
	}
	client, err := jobqueue.NewClient(d.Pool, jobqueue.Options{
		Logger: d.Logger, Workers: workers, PeriodicJobs: app.PeriodicJobs(), LeaderElection: true,
		Queues: map[string]int{jobqueue.QueueScheduler: 1},
	})
	if err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return err
	}
	d.Logger.Info().Int("periodic_jobs", len(app.PeriodicJobs())).Msg("scheduler started")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client.Stop(sctx)
}
