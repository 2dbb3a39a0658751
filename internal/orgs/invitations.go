package orgs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/ratelimit"
)

// Inserter enqueues jobs in the caller's transaction (a River client).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service holds what invitations and sign-up need beyond the database.
type Service struct {
	DB            dbutil.Executor
	Jobs          Inserter
	Sessions      *auth.Service
	Now           func() time.Time
	InvitationTTL time.Duration
	PublicBaseURL string
	// SignupPerIP throttles sign-ups per client address.
	SignupPerIP ratelimit.Limit
}

// Invitation is an invitation to join an org.
type Invitation struct {
	ID             uuid.UUID  `json:"id"`
	Email          string     `json:"email"`
	Role           auth.Role  `json:"role" enum:"admin,member,viewer"`
	DeliveryStatus string     `json:"delivery_status" enum:"queued,ready_to_send,sent,failed" doc:"queued until the delivery job runs; ready_to_send until email delivery exists."`
	InvitedBy      *uuid.UUID `json:"invited_by"`
	ExpiresAt      time.Time  `json:"expires_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

func invitationFromRow(r dbsqlc.Invitation) Invitation {
	inv := Invitation{ID: r.ID, Email: r.Email, Role: auth.Role(r.Role), DeliveryStatus: r.DeliveryStatus, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt}
	if r.InvitedBy.Valid {
		inv.InvitedBy = &r.InvitedBy.UUID
	}
	return inv
}

// NewInvitation is a created invitation with its one-time token.
type NewInvitation struct {
	Invitation
	Token     string `json:"token" doc:"Shown once; the invitee presents it to accept."`
	AcceptURL string `json:"accept_url" doc:"The dashboard page where the invitee accepts."`
}

// InvitationDeliveryArgs is the job that delivers an invitation.
type InvitationDeliveryArgs struct {
	OrgID        uuid.UUID `json:"org_id"`
	InvitationID uuid.UUID `json:"invitation_id"`
}

// Kind names the job.
func (InvitationDeliveryArgs) Kind() string { return "invitation_delivery" }

// InsertOpts puts it on the default queue.
func (InvitationDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, MaxAttempts: 10}
}

// InvitationDeliveryWorker delivers invitations. Until email sending exists
// (the messaging hub) it records the invitation as ready to send.
type InvitationDeliveryWorker struct {
	river.WorkerDefaults[InvitationDeliveryArgs]
	DB  dbutil.Executor
	Now func() time.Time
}

// Work marks the invitation ready; a revoked or already handled one is left alone.
func (w *InvitationDeliveryWorker) Work(ctx context.Context, job *river.Job[InvitationDeliveryArgs]) error {
	_, err := dbsqlc.New().MarkInvitationReadyToSend(ctx, w.DB, dbsqlc.MarkInvitationReadyToSendParams{
		Now: w.Now(), OrgID: job.Args.OrgID, ID: job.Args.InvitationID,
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("marking invitation ready: %w", err)
	}
	return nil
}

// Invite records an invitation and enqueues its delivery in one transaction:
// if either fails, neither exists. A newer invitation to the same address
// replaces an open one.
func (s *Service) Invite(ctx context.Context, orgID uuid.UUID, invitedBy uuid.NullUUID, email string, role auth.Role) (*NewInvitation, error) {
	email, err := auth.NormalizeEmail("body.email", email)
	if err != nil {
		return nil, err
	}
	if err := checkAssignable("body.role", role); err != nil {
		return nil, err
	}
	token, hash, err := auth.NewOpaqueToken()
	if err != nil {
		return nil, err
	}
	var inv dbsqlc.Invitation
	err = dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		member, err := q.IsMemberByEmail(ctx, tx, dbsqlc.IsMemberByEmailParams{OrgID: orgID, Email: email})
		if err != nil {
			return fmt.Errorf("checking membership: %w", err)
		}
		if member {
			return ErrAlreadyMember
		}
		now := s.Now()
		if err := q.RevokeOpenInvitationsForEmail(ctx, tx, dbsqlc.RevokeOpenInvitationsForEmailParams{Now: now, OrgID: orgID, Email: email}); err != nil {
			return fmt.Errorf("replacing open invitation: %w", err)
		}
		inv, err = q.CreateInvitation(ctx, tx, dbsqlc.CreateInvitationParams{
			OrgID: orgID, Email: email, Role: string(role), TokenHash: hash, InvitedBy: invitedBy, ExpiresAt: now.Add(s.InvitationTTL),
		})
		if err != nil {
			return fmt.Errorf("inserting invitation: %w", err)
		}
		if _, err := s.Jobs.InsertTx(ctx, tx, InvitationDeliveryArgs{OrgID: orgID, InvitationID: inv.ID}, nil); err != nil {
			return fmt.Errorf("enqueueing invitation delivery: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &NewInvitation{Invitation: invitationFromRow(inv), Token: token, AcceptURL: s.PublicBaseURL + "/invitations/" + token}, nil
}

// ListInvitations returns the org's open invitations.
func ListInvitations(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) ([]Invitation, error) {
	rows, err := dbsqlc.New().ListInvitations(ctx, db, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing invitations: %w", err)
	}
	out := make([]Invitation, len(rows))
	for i, r := range rows {
		out[i] = invitationFromRow(r)
	}
	return out, nil
}

// GetInvitation returns one invitation of the org.
func GetInvitation(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Invitation, error) {
	r, err := dbsqlc.New().GetInvitation(ctx, db, dbsqlc.GetInvitationParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Invitation{}, ErrInvitationNotFound
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("reading invitation: %w", err)
	}
	return invitationFromRow(r), nil
}

// RevokeInvitation makes an open invitation unusable.
func RevokeInvitation(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, now time.Time) error {
	_, err := dbsqlc.New().RevokeInvitation(ctx, db, dbsqlc.RevokeInvitationParams{Now: now, OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrInvitationNotFound
	}
	if err != nil {
		return fmt.Errorf("revoking invitation: %w", err)
	}
	return nil
}

// InvitationPreview is what the invitee sees before accepting.
type InvitationPreview struct {
	OrgName     string    `json:"org_name"`
	Email       string    `json:"email"`
	Role        auth.Role `json:"role" enum:"admin,member,viewer"`
	InviterName string    `json:"inviter_name"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// PreviewInvitation shows an open invitation by its token.
func (s *Service) PreviewInvitation(ctx context.Context, token string) (*InvitationPreview, error) {
	r, err := dbsqlc.New().GetOpenInvitationByToken(ctx, s.DB, dbsqlc.GetOpenInvitationByTokenParams{TokenHash: auth.HashToken(token), Now: s.Now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrInvitationNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading invitation: %w", err)
	}
	return &InvitationPreview{OrgName: r.OrgName, Email: r.Email, Role: auth.Role(r.Role), InviterName: r.InviterName, ExpiresAt: r.ExpiresAt}, nil
}

// Acceptance is the result of accepting an invitation.
type Acceptance struct {
	OrgID   uuid.UUID
	Role    auth.Role
	Session *auth.Session // set when a new account was created
}

// AcceptInvitation adds the invitee to the org. A signed-in user (p) must
// be the invited address; without p a new account is created with name and
// password and signed in.
func (s *Service) AcceptInvitation(ctx context.Context, token string, p *auth.Principal, name, password string, client auth.Client) (*Acceptance, error) {
	if p != nil && p.Kind != auth.KindUser {
		// An API key is no person: accepting needs a user or a new account.
		p = nil
	}
	var res *Acceptance
	err := dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		now := s.Now()
		inv, err := q.GetOpenInvitationByToken(ctx, tx, dbsqlc.GetOpenInvitationByTokenParams{TokenHash: auth.HashToken(token), Now: now})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrInvitationNotFound
		}
		if err != nil {
			return fmt.Errorf("reading invitation: %w", err)
		}
		var user dbsqlc.User
		if p != nil {
			user, err = q.GetUser(ctx, tx, p.UserID)
			if err != nil {
				return fmt.Errorf("reading user: %w", err)
			}
			if !strings.EqualFold(user.Email, inv.Email) {
				return ErrInviteEmailMismatch
			}
		} else {
			name = strings.TrimSpace(name)
			var fields []fault.FieldError
			if name == "" || len(name) > 200 {
				fields = append(fields, fault.FieldError{Location: "body.name", Message: "must be 1 to 200 characters", Value: name})
			}
			if err := auth.CheckPassword("body.password", password); err != nil {
				fe, _ := fault.As(err)
				fields = append(fields, fe.Fields...)
			}
			if err := fault.Fields(fields...); err != nil {
				return err
			}
			user, err = auth.CreateUser(ctx, tx, inv.Email, name, password, nil)
			if errors.Is(err, auth.ErrEmailTaken) {
				return fault.New(fault.Conflict, "this email already has an account: sign in, then accept the invitation")
			}
			if err != nil {
				return err
			}
		}
		if _, err := q.AddMember(ctx, tx, dbsqlc.AddMemberParams{OrgID: inv.OrgID, UserID: user.ID, Role: inv.Role}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("adding member: %w", err)
		}
		if _, err := q.AcceptInvitation(ctx, tx, dbsqlc.AcceptInvitationParams{Now: now, AcceptedBy: uuid.NullUUID{UUID: user.ID, Valid: true}, ID: inv.ID}); err != nil {
			return fmt.Errorf("accepting invitation: %w", err)
		}
		res = &Acceptance{OrgID: inv.OrgID, Role: auth.Role(inv.Role)}
		if p == nil {
			res.Session, err = s.Sessions.StartSession(ctx, tx, user, uuid.NullUUID{UUID: inv.OrgID, Valid: true}, client)
		}
		return err
	})
	return res, err
}

// PurgeExpiredInvitations deletes invitations that were never accepted and
// have expired.
func PurgeExpiredInvitations(ctx context.Context, db dbutil.Executor, now time.Time) (int64, error) {
	n, err := dbsqlc.New().DeleteExpiredInvitations(ctx, db, now)
	if err != nil {
		return 0, fmt.Errorf("deleting expired invitations: %w", err)
	}
	return n, nil
}

// signupMessage is the answer to every well-formed sign-up, whether or not
// the address already had an account, so sign-up reveals no accounts.
const signupMessage = "Account created. Sign in with your email and password to continue."

// Signup creates a user and an org with the user as its owner. When the
// email is taken nothing is created and the answer is the same.
func (s *Service) Signup(ctx context.Context, email, password, name, orgName string, client auth.Client) error {
	var fields []fault.FieldError
	norm, err := auth.NormalizeEmail("body.email", email)
	if err != nil {
		fe, _ := fault.As(err)
		fields = append(fields, fe.Fields...)
	}
	if err := auth.CheckPassword("body.password", password); err != nil {
		fe, _ := fault.As(err)
		fields = append(fields, fe.Fields...)
	}
	name, orgName = strings.TrimSpace(name), strings.TrimSpace(orgName)
	if name == "" || len(name) > 200 {
		fields = append(fields, fault.FieldError{Location: "body.name", Message: "must be 1 to 200 characters", Value: name})
	}
	if orgName == "" || len(orgName) > 200 {
		fields = append(fields, fault.FieldError{Location: "body.org_name", Message: "must be 1 to 200 characters", Value: orgName})
	}
	if err := fault.Fields(fields...); err != nil {
		return err
	}
	res, err := ratelimit.Take(ctx, s.DB, "signup:ip:"+client.IP, s.SignupPerIP, 1, s.Now())
	if err != nil {
		return err
	}
	if !res.Allowed {
		return fault.RateLimited("too many sign-ups from this address; try again later", res.RetryAfter)
	}
	err = dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		u, err := auth.CreateUser(ctx, tx, norm, name, password, nil)
		if err != nil {
			return err
		}
		_, err = Create(ctx, tx, u.ID, Settings{Name: &orgName})
		return err
	})
	if errors.Is(err, auth.ErrEmailTaken) {
		return nil
	}
	return err
}
