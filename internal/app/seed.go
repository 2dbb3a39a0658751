package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/orgs"
)

// Demo logins created by Seed (printed by `make run`).
const (
	DemoEmail     = "demo@switchboard.local"
	DemoPassword  = "switchboard-demo"
	DemoOrgName   = "Demo Org"
	StaffEmail    = "ops@switchboard.local"
	StaffPassword = "switchboard-ops"
)

// Seed creates the demo org with its owner, and a staff operator who is an
// admin of it; with the sandbox on, the demo org gets sandbox credentials on
// every channel. It is idempotent: existing users, memberships and channel
// settings are kept.
func Seed(ctx context.Context, pool *pgxpool.Pool, cfg *config.Config) error {
	return dbutil.WithTx(ctx, pool, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		owner, err := seedUser(ctx, tx, DemoEmail, "Demo Owner", DemoPassword)
		if err != nil {
			return err
		}
		ops, err := seedUser(ctx, tx, StaffEmail, "Platform Operator", StaffPassword)
		if err != nil {
			return err
		}
		if err := q.SetUserStaff(ctx, tx, dbsqlc.SetUserStaffParams{IsStaff: true, ID: ops.ID}); err != nil {
			return fmt.Errorf("marking staff: %w", err)
		}
		m, err := q.FirstMembership(ctx, tx, owner.ID)
		var orgID uuid.UUID
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			name, tz := DemoOrgName, "Europe/Berlin"
			country := "DE"
			org, err := orgs.Create(ctx, tx, owner.ID, orgs.Settings{Name: &name, Timezone: &tz, DefaultCountry: &country})
			if err != nil {
				return err
			}
			orgID = org.ID
		case err != nil:
			return fmt.Errorf("reading demo membership: %w", err)
		default:
			orgID = m.OrgID
		}
		if _, err := q.AddMember(ctx, tx, dbsqlc.AddMemberParams{OrgID: orgID, UserID: ops.ID, Role: string(auth.RoleAdmin)}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("adding operator to demo org: %w", err)
		}
		if cfg.Sandbox {
			store, err := channels.NewStore(cfg.SecretsKey)
			if err != nil {
				return err
			}
			if err := channels.SeedSandbox(ctx, tx, store, orgID); err != nil {
				return err
			}
			return checkSandboxChannels(ctx, tx, pool, orgID)
		}
		return nil
	})
}

// checkSandboxChannels queues a connection test of each demo channel: the
// tests register our webhook URLs with the sandbox (SendGrid's event
// webhook, Telegram's setWebhook, Twilio's inbound URL, the Instagram
// subscription), so that delivery reports and inbound messages flow from
// the first run without pressing Test connection. make run starts the API
// before the worker; should a test still find the sandbox down, the
// channel shows why and Test connection runs it again.
func checkSandboxChannels(ctx context.Context, tx pgx.Tx, pool *pgxpool.Pool, orgID uuid.UUID) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, &channels.CheckWorker{})
	jobs, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	if err != nil {
		return err
	}
	for _, c := range channels.All {
		if _, err := channels.RequestCheck(ctx, tx, jobs, orgID, c); err != nil {
			return fmt.Errorf("queueing the %s connection test: %w", c, err)
		}
	}
	return nil
}

func seedUser(ctx context.Context, tx pgx.Tx, email, name, password string) (dbsqlc.User, error) {
	u, err := dbsqlc.New().GetUserByEmail(ctx, tx, email)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return dbsqlc.User{}, fmt.Errorf("reading %s: %w", email, err)
	}
	return auth.CreateUser(ctx, tx, email, name, password, nil)
}
