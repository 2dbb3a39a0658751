package orgs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	publicBaseURL = "http://switchboard.test"
	newPassword   = "a-long-enough-password"
)

var jwtSecret = []byte("0123456789abcdef0123456789abcdef")

// failingInserter stands for a queue that refuses the job.
type failingInserter struct{}

func (failingInserter) InsertTx(context.Context, pgx.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return nil, errors.New("queue unavailable")
}

type testBundle struct {
	ctx      context.Context
	tx       pgx.Tx
	svc      *orgs.Service
	sessions *auth.Service
	org      orgs.Org
	owner    dbsqlc.User
	// clock is what the service reads as now; tests move it.
	clock *time.Time
}

// newService builds the service over db with an insert-only River client.
func newService(t *testing.T, db dbutil.Executor, clock *time.Time) (*orgs.Service, *auth.Service) {
	t.Helper()
	now := func() time.Time { return *clock }
	workers := river.NewWorkers()
	river.AddWorker(workers, &orgs.InvitationDeliveryWorker{})
	client, err := jobqueue.NewClient(dbtest.Pool(t), jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	require.NoError(t, err)
	sessions := &auth.Service{
		DB:            db,
		Tokens:        auth.NewTokens(jwtSecret, 15*time.Minute, now),
		Now:           now,
		RefreshTTL:    time.Hour,
		LoginPerEmail: ratelimit.PerWindow(100, time.Minute),
		LoginPerIP:    ratelimit.PerWindow(100, time.Minute),
	}
	svc := &orgs.Service{
		DB:            db,
		Jobs:          client,
		Sessions:      sessions,
		Now:           now,
		InvitationTTL: 24 * time.Hour,
		PublicBaseURL: publicBaseURL,
		SignupPerIP:   ratelimit.PerWindow(100, time.Hour),
	}
	return svc, sessions
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	clock := time.Now()
	svc, sessions := newService(t, tx, &clock)
	org, owner := newOrg(ctx, t, tx)
	return &testBundle{ctx: ctx, tx: tx, svc: svc, sessions: sessions, org: org, owner: owner, clock: &clock}
}

// newUser makes a user without a password: argon2 costs tens of
// milliseconds a hash, and most tests never sign in.
func newUser(ctx context.Context, t *testing.T, db dbutil.Executor) dbsqlc.User {
	t.Helper()
	return testfactory.User(ctx, t, db, &testfactory.UserOpts{Password: "-"})
}

// newOrg makes an org whose owner has no password.
func newOrg(ctx context.Context, t *testing.T, db dbutil.Executor) (orgs.Org, dbsqlc.User) {
	t.Helper()
	owner := newUser(ctx, t, db)
	return testfactory.Org(ctx, t, db, &testfactory.OrgOpts{Owner: &owner})
}

// newMember adds a new password-less user to the org with role.
func (b *testBundle) newMember(t *testing.T, orgID uuid.UUID, role auth.Role) dbsqlc.User {
	t.Helper()
	u := newUser(b.ctx, t, b.tx)
	_, err := dbsqlc.New().AddMember(b.ctx, b.tx, dbsqlc.AddMemberParams{OrgID: orgID, UserID: u.ID, Role: string(role)})
	require.NoError(t, err)
	return u
}

// email is a fresh address: parallel tests' open transactions never
// collide on the unique email indexes.
func email() string { return "invitee-" + testfactory.Suffix() + "@example.com" }

// client is a fresh address, so sign-up throttles of parallel tests do not meet.
func client() auth.Client {
	return auth.Client{IP: "10.0." + testfactory.Suffix(), UserAgent: "orgs-test"}
}

func (b *testBundle) invite(t *testing.T, addr string, role auth.Role) *orgs.NewInvitation {
	t.Helper()
	inv, err := b.svc.Invite(b.ctx, b.org.ID, uuid.NullUUID{UUID: b.owner.ID, Valid: true}, addr, role)
	require.NoError(t, err)
	return inv
}

func (b *testBundle) role(t *testing.T, orgID, userID uuid.UUID) auth.Role {
	t.Helper()
	m, err := orgs.GetMember(b.ctx, b.tx, orgID, userID)
	require.NoError(t, err)
	return m.Role
}

func (b *testBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, sql, args...).Scan(&n))
	return n
}

func requireFields(t *testing.T, err error, locations ...string) {
	t.Helper()
	fe, ok := fault.As(err)
	require.True(t, ok, "want a fault error, got %v", err)
	require.Equal(t, fault.Invalid, fe.Kind)
	var got []string
	for _, f := range fe.Fields {
		got = append(got, f.Location)
	}
	require.Equal(t, locations, got)
}

func TestInvite(t *testing.T) {
	t.Parallel()

	t.Run("RowAndJobTogether", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr := email()

		inv, err := b.svc.Invite(b.ctx, b.org.ID, uuid.NullUUID{UUID: b.owner.ID, Valid: true}, "  "+addr+"  ", auth.RoleMember)
		require.NoError(t, err)
		require.Equal(t, addr, inv.Email)
		require.Equal(t, auth.RoleMember, inv.Role)
		require.Equal(t, "queued", inv.DeliveryStatus)
		require.Equal(t, &b.owner.ID, inv.InvitedBy)
		require.WithinDuration(t, b.clock.Add(24*time.Hour), inv.ExpiresAt, time.Second)
		require.NotEmpty(t, inv.Token)
		require.Equal(t, publicBaseURL+"/invitations/"+inv.Token, inv.AcceptURL)

		got, err := orgs.GetInvitation(b.ctx, b.tx, b.org.ID, inv.ID)
		require.NoError(t, err)
		require.Equal(t, inv.Invitation.ID, got.ID)

		job := rivertest.RequireInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, &orgs.InvitationDeliveryArgs{},
			&rivertest.RequireInsertedOpts{Queue: jobqueue.QueueDefault, MaxAttempts: 10})
		require.Equal(t, orgs.InvitationDeliveryArgs{OrgID: b.org.ID, InvitationID: inv.ID}, *job.Args)

		preview, err := b.svc.PreviewInvitation(b.ctx, inv.Token)
		require.NoError(t, err)
		require.Equal(t, b.org.Name, preview.OrgName)
		require.Equal(t, addr, preview.Email)
		require.Equal(t, b.owner.Name, preview.InviterName)
	})

	t.Run("FailedEnqueueLeavesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr := email()
		first := b.invite(t, addr, auth.RoleViewer)

		b.svc.Jobs = failingInserter{}
		inv, err := b.svc.Invite(b.ctx, b.org.ID, uuid.NullUUID{}, addr, auth.RoleAdmin)
		require.ErrorContains(t, err, "queue unavailable")
		require.Nil(t, inv)

		open, err := orgs.ListInvitations(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Len(t, open, 1, "no second invitation")
		require.Equal(t, first.ID, open[0].ID, "and the first was not revoked either")
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM invitations WHERE org_id = $1`, b.org.ID))
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'invitation_delivery' AND args->>'org_id' = $1`, b.org.ID.String()))
	})

	t.Run("Replaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr := email()
		first := b.invite(t, addr, auth.RoleViewer)

		second := b.invite(t, strings.ToUpper(addr[:1])+addr[1:], auth.RoleAdmin)
		require.NotEqual(t, first.ID, second.ID)

		open, err := orgs.ListInvitations(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Len(t, open, 1)
		require.Equal(t, second.ID, open[0].ID)
		require.Equal(t, auth.RoleAdmin, open[0].Role)

		_, err = b.svc.PreviewInvitation(b.ctx, first.Token)
		require.ErrorIs(t, err, orgs.ErrInvitationNotFound, "the replaced token is dead")
		_, err = b.svc.PreviewInvitation(b.ctx, second.Token)
		require.NoError(t, err)
	})

	t.Run("AlreadyMember", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := b.svc.Invite(b.ctx, b.org.ID, uuid.NullUUID{}, strings.ToUpper(b.owner.Email), auth.RoleMember)
		require.ErrorIs(t, err, orgs.ErrAlreadyMember)
		require.Equal(t, 0, b.count(t, `SELECT count(*) FROM invitations WHERE org_id = $1`, b.org.ID))
		rivertest.RequireNotInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, &orgs.InvitationDeliveryArgs{}, nil)
	})

	t.Run("MemberOfAnotherOrgIsInvitable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other, otherOwner := newOrg(b.ctx, t, b.tx)
		require.NotEqual(t, b.org.ID, other.ID)

		inv := b.invite(t, otherOwner.Email, auth.RoleMember)
		require.Equal(t, otherOwner.Email, inv.Email)
	})

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name     string
			email    string
			role     auth.Role
			location string
		}{
			{"OwnerRole", "", auth.RoleOwner, "body.role"},
			{"UnknownRole", "", "superuser", "body.role"},
			{"EmptyRole", "", "", "body.role"},
			{"BadEmail", "not-an-email", auth.RoleMember, "body.email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				addr := tt.email
				if addr == "" {
					addr = email()
				}

				_, err := b.svc.Invite(b.ctx, b.org.ID, uuid.NullUUID{}, addr, tt.role)
				requireFields(t, err, tt.location)
				require.Equal(t, 0, b.count(t, `SELECT count(*) FROM invitations WHERE org_id = $1`, b.org.ID))
			})
		}
	})
}

// TestInviteCommitted runs Invite over a pool, as the API does: the
// transaction is real, not a savepoint in a test's transaction.
func TestInviteCommitted(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.NewDB(t)
	ctx := t.Context()
	clock := time.Now()
	svc, _ := newService(t, pool, &clock)
	org, owner := newOrg(ctx, t, pool)

	count := func(sql string) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, sql, org.ID).Scan(&n))
		return n
	}
	const (
		invitations = `SELECT count(*) FROM invitations WHERE org_id = $1`
		jobs        = `SELECT count(*) FROM river_job WHERE kind = 'invitation_delivery' AND (args->>'org_id')::uuid = $1`
	)

	svc.Jobs = failingInserter{}
	_, err := svc.Invite(ctx, org.ID, uuid.NullUUID{UUID: owner.ID, Valid: true}, email(), auth.RoleMember)
	require.Error(t, err)
	require.Equal(t, 0, count(invitations), "a failed request leaves no invitation")
	require.Equal(t, 0, count(jobs), "and no job")

	// Over the pool the job client must write through the same transaction.
	workers := river.NewWorkers()
	river.AddWorker(workers, &orgs.InvitationDeliveryWorker{})
	svc.Jobs, err = jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	require.NoError(t, err)
	_, err = svc.Invite(ctx, org.ID, uuid.NullUUID{UUID: owner.ID, Valid: true}, email(), auth.RoleMember)
	require.NoError(t, err)
	require.Equal(t, 1, count(invitations))
	require.Equal(t, 1, count(jobs))
}

func TestAcceptInvitation(t *testing.T) {
	t.Parallel()

	t.Run("NewUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr := email()
		inv := b.invite(t, addr, auth.RoleAdmin)
		c := client()

		acc, err := b.svc.AcceptInvitation(b.ctx, inv.Token, nil, "  Grace Hopper  ", newPassword, c)
		require.NoError(t, err)
		require.Equal(t, b.org.ID, acc.OrgID)
		require.Equal(t, auth.RoleAdmin, acc.Role)
		require.NotNil(t, acc.Session, "a new account is signed in")
		require.NotEmpty(t, acc.Session.RefreshToken)
		require.Equal(t, uuid.NullUUID{UUID: b.org.ID, Valid: true}, acc.Session.OrgID)

		u, err := dbsqlc.New().GetUserByEmail(b.ctx, b.tx, addr)
		require.NoError(t, err)
		require.Equal(t, acc.Session.UserID, u.ID)
		require.Equal(t, "Grace Hopper", u.Name)
		require.NotNil(t, u.PasswordHash)
		ok, err := auth.VerifyPassword(newPassword, *u.PasswordHash)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, auth.RoleAdmin, b.role(t, b.org.ID, u.ID))

		claims, err := b.sessions.Tokens.Parse(acc.Session.AccessToken)
		require.NoError(t, err)
		require.Equal(t, u.ID.String(), claims.Subject)
		require.Equal(t, b.org.ID.String(), claims.OrgID)
		require.Equal(t, auth.RoleAdmin, claims.Role)

		open, err := orgs.ListInvitations(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Empty(t, open, "an accepted invitation is no longer open")
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM invitations WHERE id = $1 AND accepted_by = $2 AND accepted_at IS NOT NULL`, inv.ID, u.ID))

		_, err = b.svc.AcceptInvitation(b.ctx, inv.Token, nil, "Someone", newPassword, client())
		require.ErrorIs(t, err, orgs.ErrInvitationNotFound, "a used token is dead")
	})

	t.Run("NewUserValidation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr := email()
		inv := b.invite(t, addr, auth.RoleMember)

		_, err := b.svc.AcceptInvitation(b.ctx, inv.Token, nil, "  ", "short", client())
		requireFields(t, err, "body.name", "body.password")
		require.Equal(t, 0, b.count(t, `SELECT count(*) FROM users WHERE lower(email) = lower($1)`, addr))

		_, err = b.svc.PreviewInvitation(b.ctx, inv.Token)
		require.NoError(t, err, "the invitation is still open")
	})

	t.Run("NewUserButEmailHasAccount", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		existing := newUser(b.ctx, t, b.tx)
		inv := b.invite(t, existing.Email, auth.RoleMember)

		_, err := b.svc.AcceptInvitation(b.ctx, inv.Token, nil, "Impostor", newPassword, client())
		fe, ok := fault.As(err)
		require.True(t, ok, "got %v", err)
		require.Equal(t, fault.Conflict, fe.Kind)
		_, err = orgs.GetMember(b.ctx, b.tx, b.org.ID, existing.ID)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound)
	})

	t.Run("SignedInUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := newUser(b.ctx, t, b.tx)
		inv := b.invite(t, strings.ToUpper(u.Email), auth.RoleViewer)

		p := &auth.Principal{Kind: auth.KindUser, UserID: u.ID, SessionID: uuid.New()}
		acc, err := b.svc.AcceptInvitation(b.ctx, inv.Token, p, "", "", client())
		require.NoError(t, err)
		require.Equal(t, b.org.ID, acc.OrgID)
		require.Equal(t, auth.RoleViewer, acc.Role)
		require.Nil(t, acc.Session, "a signed-in user keeps their session")
		require.Equal(t, auth.RoleViewer, b.role(t, b.org.ID, u.ID))
	})

	// The accept route is public, so an API key's principal can reach the
	// service. A key is not a signed-in user: the account is created from
	// name and password, and then it must be signed in like any new account
	// (Acceptance.Session: "set when a new account was created").
	t.Run("APIKeyPrincipalIsNoUser", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		addr := email()
		inv := b.invite(t, addr, auth.RoleMember)

		p := &auth.Principal{Kind: auth.KindAPIKey, APIKeyID: uuid.New(), OrgID: b.org.ID, Scopes: []string{"members:write"}}
		acc, err := b.svc.AcceptInvitation(b.ctx, inv.Token, p, "Key Holder", newPassword, client())
		require.NoError(t, err)
		u, err := dbsqlc.New().GetUserByEmail(b.ctx, b.tx, addr)
		require.NoError(t, err, "the account was created")
		require.NotNil(t, acc.Session, "a created account is signed in")
		require.Equal(t, u.ID, acc.Session.UserID)
	})

	t.Run("EmailMismatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := newUser(b.ctx, t, b.tx)
		inv := b.invite(t, email(), auth.RoleAdmin)

		p := &auth.Principal{Kind: auth.KindUser, UserID: u.ID, SessionID: uuid.New()}
		_, err := b.svc.AcceptInvitation(b.ctx, inv.Token, p, "", "", client())
		require.ErrorIs(t, err, orgs.ErrInviteEmailMismatch)
		_, err = orgs.GetMember(b.ctx, b.tx, b.org.ID, u.ID)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound)
		_, err = b.svc.PreviewInvitation(b.ctx, inv.Token)
		require.NoError(t, err, "the invitation is still open for its addressee")
	})

	t.Run("DeadTokens", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name string
			kill func(t *testing.T, b *testBundle, inv *orgs.NewInvitation) string
		}{
			{"Revoked", func(t *testing.T, b *testBundle, inv *orgs.NewInvitation) string {
				require.NoError(t, orgs.RevokeInvitation(b.ctx, b.tx, b.org.ID, inv.ID, *b.clock))
				return inv.Token
			}},
			{"Expired", func(_ *testing.T, b *testBundle, inv *orgs.NewInvitation) string {
				*b.clock = b.clock.Add(24*time.Hour + time.Minute)
				return inv.Token
			}},
			{"Replaced", func(t *testing.T, b *testBundle, inv *orgs.NewInvitation) string {
				b.invite(t, inv.Email, auth.RoleMember)
				return inv.Token
			}},
			{"Unknown", func(*testing.T, *testBundle, *orgs.NewInvitation) string { return "no-such-token" }},
			{"Empty", func(*testing.T, *testBundle, *orgs.NewInvitation) string { return "" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				inv := b.invite(t, email(), auth.RoleMember)
				token := tt.kill(t, b, inv)

				acc, err := b.svc.AcceptInvitation(b.ctx, token, nil, "Late Comer", newPassword, client())
				require.ErrorIs(t, err, orgs.ErrInvitationNotFound)
				require.Nil(t, acc)
				require.Equal(t, 0, b.count(t, `SELECT count(*) FROM users WHERE lower(email) = lower($1)`, inv.Email))
			})
		}
	})

	t.Run("CrossTenantInvitation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		inv := b.invite(t, email(), auth.RoleMember)
		other, _ := newOrg(b.ctx, t, b.tx)

		_, err := orgs.GetInvitation(b.ctx, b.tx, other.ID, inv.ID)
		require.ErrorIs(t, err, orgs.ErrInvitationNotFound)
		require.ErrorIs(t, orgs.RevokeInvitation(b.ctx, b.tx, other.ID, inv.ID, *b.clock), orgs.ErrInvitationNotFound)
		_, err = b.svc.PreviewInvitation(b.ctx, inv.Token)
		require.NoError(t, err, "still open after the other org's attempt")
	})
}

func TestInvitationDeliveryWorker(t *testing.T) {
	t.Parallel()

	type workBundle struct {
		*testBundle
		worker *rivertest.Worker[orgs.InvitationDeliveryArgs, pgx.Tx]
	}

	setupWork := func(t *testing.T) *workBundle {
		t.Helper()
		b := setup(t)
		w := &orgs.InvitationDeliveryWorker{DB: b.tx, Now: func() time.Time { return *b.clock }}
		return &workBundle{testBundle: b, worker: rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, w)}
	}

	status := func(t *testing.T, b *workBundle, id uuid.UUID) string {
		t.Helper()
		inv, err := orgs.GetInvitation(b.ctx, b.tx, b.org.ID, id)
		require.NoError(t, err)
		return inv.DeliveryStatus
	}

	t.Run("MarksReady", func(t *testing.T) {
		t.Parallel()
		b := setupWork(t)
		inv := b.invite(t, email(), auth.RoleMember)

		res, err := b.worker.Work(b.ctx, t, b.tx, orgs.InvitationDeliveryArgs{OrgID: b.org.ID, InvitationID: inv.ID}, nil)
		require.NoError(t, err)
		require.Equal(t, rivertype.JobStateCompleted, res.Job.State)
		require.Equal(t, "ready_to_send", status(t, b, inv.ID))

		res, err = b.worker.Work(b.ctx, t, b.tx, orgs.InvitationDeliveryArgs{OrgID: b.org.ID, InvitationID: inv.ID}, nil)
		require.NoError(t, err, "running twice is harmless")
		require.Equal(t, rivertype.JobStateCompleted, res.Job.State)
	})

	t.Run("GoneInvitationIsNoError", func(t *testing.T) {
		t.Parallel()
		b := setupWork(t)
		inv := b.invite(t, email(), auth.RoleMember)
		other, _ := newOrg(b.ctx, t, b.tx)

		for _, args := range []orgs.InvitationDeliveryArgs{
			{OrgID: b.org.ID, InvitationID: uuid.New()},
			{OrgID: other.ID, InvitationID: inv.ID}, // another org's id never touches it
		} {
			res, err := b.worker.Work(b.ctx, t, b.tx, args, nil)
			require.NoError(t, err)
			require.Equal(t, rivertype.JobStateCompleted, res.Job.State)
		}
		require.Equal(t, "queued", status(t, b, inv.ID))
	})
}

func TestSetRole(t *testing.T) {
	t.Parallel()

	t.Run("Changes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.newMember(t, b.org.ID, auth.RoleMember)

		m, err := orgs.SetRole(b.ctx, b.tx, b.org.ID, u.ID, auth.RoleAdmin)
		require.NoError(t, err)
		require.Equal(t, auth.RoleAdmin, m.Role)
		require.Equal(t, u.Email, m.Email)
		require.Equal(t, auth.RoleAdmin, b.role(t, b.org.ID, u.ID))

		_, err = orgs.SetRole(b.ctx, b.tx, b.org.ID, u.ID, auth.RoleViewer)
		require.NoError(t, err)
		require.Equal(t, auth.RoleViewer, b.role(t, b.org.ID, u.ID))
	})

	t.Run("OwnerImmutable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := orgs.SetRole(b.ctx, b.tx, b.org.ID, b.owner.ID, auth.RoleAdmin)
		require.ErrorIs(t, err, orgs.ErrOwnerImmutable)
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, b.owner.ID))
	})

	t.Run("OwnerRoleNotAssignable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.newMember(t, b.org.ID, auth.RoleAdmin)

		_, err := orgs.SetRole(b.ctx, b.tx, b.org.ID, u.ID, auth.RoleOwner)
		requireFields(t, err, "body.role")
		_, err = orgs.SetRole(b.ctx, b.tx, b.org.ID, u.ID, "root")
		requireFields(t, err, "body.role")
		require.Equal(t, auth.RoleAdmin, b.role(t, b.org.ID, u.ID))
	})

	t.Run("NotAMember", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		stranger := newUser(b.ctx, t, b.tx)
		other, _ := newOrg(b.ctx, t, b.tx)
		otherMember := b.newMember(t, other.ID, auth.RoleMember)

		_, err := orgs.SetRole(b.ctx, b.tx, b.org.ID, stranger.ID, auth.RoleAdmin)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound)
		_, err = orgs.SetRole(b.ctx, b.tx, b.org.ID, otherMember.ID, auth.RoleAdmin)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound, "another org's member is not found")
		require.Equal(t, auth.RoleMember, b.role(t, other.ID, otherMember.ID))
	})
}

func TestRemoveMember(t *testing.T) {
	t.Parallel()

	t.Run("ClearsActiveOrgOfSessions", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.newMember(t, b.org.ID, auth.RoleMember)
		other, _ := newOrg(b.ctx, t, b.tx)
		_, err := dbsqlc.New().AddMember(b.ctx, b.tx, dbsqlc.AddMemberParams{OrgID: other.ID, UserID: u.ID, Role: string(auth.RoleViewer)})
		require.NoError(t, err)

		here, err := b.sessions.StartSession(b.ctx, b.tx, u, uuid.NullUUID{UUID: b.org.ID, Valid: true}, client())
		require.NoError(t, err)
		require.Equal(t, b.org.ID, here.OrgID.UUID)
		there, err := b.sessions.StartSession(b.ctx, b.tx, u, uuid.NullUUID{UUID: other.ID, Valid: true}, client())
		require.NoError(t, err)
		require.Equal(t, other.ID, there.OrgID.UUID)

		require.NoError(t, orgs.RemoveMember(b.ctx, b.tx, b.org.ID, u.ID))

		_, err = orgs.GetMember(b.ctx, b.tx, b.org.ID, u.ID)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound)
		activeOrg := func(token string) uuid.NullUUID {
			var org uuid.NullUUID
			require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT org_id FROM refresh_tokens WHERE token_hash = $1`, auth.HashToken(token)).Scan(&org))
			return org
		}
		require.False(t, activeOrg(here.RefreshToken).Valid, "the session in the org lost it")
		require.Equal(t, other.ID, activeOrg(there.RefreshToken).UUID, "a session in another org is untouched")

		refreshed, err := b.sessions.Refresh(b.ctx, here.RefreshToken, client())
		require.NoError(t, err, "the session itself lives on")
		require.NotEqual(t, b.org.ID, refreshed.OrgID.UUID)
		claims, err := b.sessions.Tokens.Parse(refreshed.AccessToken)
		require.NoError(t, err)
		require.NotEqual(t, b.org.ID.String(), claims.OrgID)
	})

	t.Run("OwnerImmutable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.ErrorIs(t, orgs.RemoveMember(b.ctx, b.tx, b.org.ID, b.owner.ID), orgs.ErrOwnerImmutable)
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, b.owner.ID))
	})

	t.Run("NotAMember", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other, _ := newOrg(b.ctx, t, b.tx)
		otherMember := b.newMember(t, other.ID, auth.RoleMember)

		require.ErrorIs(t, orgs.RemoveMember(b.ctx, b.tx, b.org.ID, otherMember.ID), orgs.ErrMemberNotFound)
		require.Equal(t, auth.RoleMember, b.role(t, other.ID, otherMember.ID), "another org's member stays")
	})
}

func TestTransferOwnership(t *testing.T) {
	t.Parallel()

	owners := func(t *testing.T, b *testBundle, orgID uuid.UUID) int {
		t.Helper()
		return b.count(t, `SELECT count(*) FROM org_members WHERE org_id = $1 AND role = 'owner'`, orgID)
	}

	t.Run("Swaps", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		admin := b.newMember(t, b.org.ID, auth.RoleAdmin)

		require.NoError(t, orgs.TransferOwnership(b.ctx, b.tx, b.org.ID, b.owner.ID, admin.ID))
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, admin.ID))
		require.Equal(t, auth.RoleAdmin, b.role(t, b.org.ID, b.owner.ID))
		require.Equal(t, 1, owners(t, b, b.org.ID))

		// And back again.
		require.NoError(t, orgs.TransferOwnership(b.ctx, b.tx, b.org.ID, admin.ID, b.owner.ID))
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, b.owner.ID))
		require.Equal(t, 1, owners(t, b, b.org.ID))
	})

	t.Run("ToViewer", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		viewer := b.newMember(t, b.org.ID, auth.RoleViewer)

		require.NoError(t, orgs.TransferOwnership(b.ctx, b.tx, b.org.ID, b.owner.ID, viewer.ID))
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, viewer.ID))
		require.Equal(t, 1, owners(t, b, b.org.ID))
	})

	t.Run("ToNonMember", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other, _ := newOrg(b.ctx, t, b.tx)
		outsider := b.newMember(t, other.ID, auth.RoleAdmin)

		err := orgs.TransferOwnership(b.ctx, b.tx, b.org.ID, b.owner.ID, outsider.ID)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound)
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, b.owner.ID), "nothing changed")
		require.Equal(t, 1, owners(t, b, b.org.ID))
		_, err = orgs.GetMember(b.ctx, b.tx, b.org.ID, outsider.ID)
		require.ErrorIs(t, err, orgs.ErrMemberNotFound)
	})

	t.Run("ToSelf", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		requireFields(t, orgs.TransferOwnership(b.ctx, b.tx, b.org.ID, b.owner.ID, b.owner.ID), "body.user_id")
		require.Equal(t, auth.RoleOwner, b.role(t, b.org.ID, b.owner.ID))
	})
}

func TestSignup(t *testing.T) {
	t.Parallel()

	t.Run("CreatesUserAndOrg", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		local := "New.User-" + testfactory.Suffix()

		require.NoError(t, b.svc.Signup(b.ctx, "  "+local+"@Example.COM ", newPassword, " Ada ", " Analytical Engines ", client()))

		u, err := dbsqlc.New().GetUserByEmail(b.ctx, b.tx, local+"@example.com")
		require.NoError(t, err)
		require.Equal(t, local+"@example.com", u.Email, "the domain is lower-cased, the local part kept")
		require.Equal(t, "Ada", u.Name)
		ok, err := auth.VerifyPassword(newPassword, *u.PasswordHash)
		require.NoError(t, err)
		require.True(t, ok)

		ms, err := orgs.ListForUser(b.ctx, b.tx, u.ID)
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.Equal(t, auth.RoleOwner, ms[0].Role)
		require.Equal(t, "Analytical Engines", ms[0].Org.Name)
		require.Equal(t, "UTC", ms[0].Org.Timezone)
		require.Equal(t, "US", ms[0].Org.DefaultCountry)
		require.True(t, strings.HasPrefix(ms[0].Org.Slug, "analytical-engines-"), ms[0].Org.Slug)
	})

	t.Run("ExistingEmailCreatesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		existing := testfactory.User(b.ctx, t, b.tx, nil) // with a password
		orgsBefore := b.count(t, `SELECT count(*) FROM orgs`)
		usersBefore := b.count(t, `SELECT count(*) FROM users`)

		err := b.svc.Signup(b.ctx, strings.ToUpper(existing.Email), newPassword, "Impostor", "Takeover Inc", client())
		require.NoError(t, err, "the answer does not reveal the account")
		require.Equal(t, orgsBefore, b.count(t, `SELECT count(*) FROM orgs`))
		require.Equal(t, usersBefore, b.count(t, `SELECT count(*) FROM users`))

		u, err := dbsqlc.New().GetUser(b.ctx, b.tx, existing.ID)
		require.NoError(t, err)
		require.Equal(t, existing.Name, u.Name)
		require.Equal(t, *existing.PasswordHash, *u.PasswordHash, "the password is untouched")
	})

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name      string
			email     string
			password  string
			userName  string
			orgName   string
			locations []string
		}{
			{"Everything", "not-an-email", "short", "  ", "", []string{"body.email", "body.password", "body.name", "body.org_name"}},
			{"Email", "ada@", newPassword, "Ada", "Org", []string{"body.email"}},
			{"Password", "", "123456789", "Ada", "Org", []string{"body.password"}},
			{"Name", "", newPassword, strings.Repeat("n", 201), "Org", []string{"body.name"}},
			{"OrgName", "", newPassword, "Ada", strings.Repeat("o", 201), []string{"body.org_name"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				addr := tt.email
				if addr == "" {
					addr = email()
				}
				orgsBefore := b.count(t, `SELECT count(*) FROM orgs`)

				requireFields(t, b.svc.Signup(b.ctx, addr, tt.password, tt.userName, tt.orgName, client()), tt.locations...)
				require.Equal(t, orgsBefore, b.count(t, `SELECT count(*) FROM orgs`))
			})
		}
	})

	t.Run("Throttled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.svc.SignupPerIP = ratelimit.PerWindow(1, time.Hour)
		c := client()

		require.NoError(t, b.svc.Signup(b.ctx, email(), newPassword, "One", "One Org", c))
		err := b.svc.Signup(b.ctx, email(), newPassword, "Two", "Two Org", c)
		fe, ok := fault.As(err)
		require.True(t, ok, "got %v", err)
		require.Equal(t, fault.TooManyRequests, fe.Kind)
		require.Positive(t, fe.RetryAfter)

		require.NoError(t, b.svc.Signup(b.ctx, email(), newPassword, "Three", "Three Org", client()), "another address is not throttled")
	})
}
