// Package orgs is tenancy: signing up (a user and their org), orgs, members
// and their roles, invitations and ownership.
package orgs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/pricing"
)

// Errors of the domain.
var (
	ErrNotFound            = fault.New(fault.NotFound, "organization not found")
	ErrMemberNotFound      = fault.New(fault.NotFound, "member not found")
	ErrInvitationNotFound  = fault.New(fault.NotFound, "invitation not found, expired or already used")
	ErrOwnerImmutable      = fault.New(fault.Conflict, "the owner's role changes only by transferring ownership")
	ErrAlreadyMember       = fault.New(fault.Conflict, "this person is already a member")
	ErrInviteEmailMismatch = fault.New(fault.Forbidden, "this invitation was sent to another email address")
)

// Org is an organization (a tenant).
type Org = auth.OrgSummary

func orgFromRow(o dbsqlc.Org) Org {
	return Org{ID: o.ID, Name: o.Name, Slug: o.Slug, Timezone: o.Timezone, DefaultCountry: o.DefaultCountry, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// Settings are the editable fields of an org.
type Settings struct {
	Name           *string
	Timezone       *string
	DefaultCountry *string
}

// validate trims and checks the fields that are set.
func (s *Settings) validate() error {
	var fields []fault.FieldError
	if s.Name != nil {
		n := strings.TrimSpace(*s.Name)
		s.Name = &n
		if n == "" || len(n) > 200 {
			fields = append(fields, fault.FieldError{Location: "body.name", Message: "must be 1 to 200 characters", Value: n})
		}
	}
	if s.Timezone != nil {
		if _, err := time.LoadLocation(*s.Timezone); err != nil || *s.Timezone == "" || *s.Timezone == "Local" {
			fields = append(fields, fault.FieldError{Location: "body.timezone", Message: "must be an IANA time zone like Europe/Berlin", Value: *s.Timezone})
		}
	}
	if s.DefaultCountry != nil {
		c := strings.ToUpper(strings.TrimSpace(*s.DefaultCountry))
		s.DefaultCountry = &c
		if !countryCode.MatchString(c) {
			fields = append(fields, fault.FieldError{Location: "body.default_country", Message: "must be an ISO 3166-1 alpha-2 code like DE", Value: c})
		}
	}
	return fault.Fields(fields...)
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

var slugJunk = regexp.MustCompile(`[^a-z0-9]+`)

// slugFor makes a URL-safe, unique-enough slug: the name plus a random tail.
func slugFor(name string) string {
	base := strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(base) > 40 {
		base = strings.Trim(base[:40], "-")
	}
	if base == "" {
		base = "org"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return base + "-" + hex.EncodeToString(b)
}

// Create inserts an org in tx with ownerID as its owner.
func Create(ctx context.Context, tx dbutil.Executor, ownerID uuid.UUID, s Settings) (Org, error) {
	if s.Name == nil {
		return Org{}, fault.Field("body.name", "is required", nil)
	}
	if s.Timezone == nil {
		tz := "UTC"
		s.Timezone = &tz
	}
	if s.DefaultCountry == nil {
		c := "US"
		s.DefaultCountry = &c
	}
	if err := s.validate(); err != nil {
		return Org{}, err
	}
	q := dbsqlc.New()
	o, err := q.CreateOrg(ctx, tx, dbsqlc.CreateOrgParams{Name: *s.Name, Slug: slugFor(*s.Name), Timezone: *s.Timezone, DefaultCountry: *s.DefaultCountry})
	if err != nil {
		return Org{}, fmt.Errorf("inserting org: %w", err)
	}
	if _, err := q.AddMember(ctx, tx, dbsqlc.AddMemberParams{OrgID: o.ID, UserID: ownerID, Role: string(auth.RoleOwner)}); err != nil {
		return Org{}, fmt.Errorf("adding owner: %w", err)
	}
	// Campaign estimates need prices from the first day: the list prices.
	if err := pricing.Seed(ctx, tx, o.ID); err != nil {
		return Org{}, err
	}
	return orgFromRow(o), nil
}

// Get returns the org.
func Get(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (Org, error) {
	o, err := dbsqlc.New().GetOrg(ctx, db, orgID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Org{}, ErrNotFound
	}
	if err != nil {
		return Org{}, fmt.Errorf("reading org: %w", err)
	}
	return orgFromRow(o), nil
}

// Update changes the org's settings.
func Update(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, s Settings) (Org, error) {
	if err := s.validate(); err != nil {
		return Org{}, err
	}
	o, err := dbsqlc.New().UpdateOrg(ctx, db, dbsqlc.UpdateOrgParams{ID: orgID, Name: s.Name, Timezone: s.Timezone, DefaultCountry: s.DefaultCountry})
	if errors.Is(err, pgx.ErrNoRows) {
		return Org{}, ErrNotFound
	}
	if err != nil {
		return Org{}, fmt.Errorf("updating org: %w", err)
	}
	return orgFromRow(o), nil
}

// Delete removes the org and everything it owns (cascading foreign keys).
func Delete(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) error {
	n, err := dbsqlc.New().DeleteOrg(ctx, db, orgID)
	if err != nil {
		return fmt.Errorf("deleting org: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// ListForUser returns the user's orgs with the user's role in each.
func ListForUser(ctx context.Context, db dbutil.Executor, userID uuid.UUID) ([]auth.Membership, error) {
	rows, err := dbsqlc.New().ListUserMemberships(ctx, db, userID)
	if err != nil {
		return nil, fmt.Errorf("listing memberships: %w", err)
	}
	out := make([]auth.Membership, len(rows))
	for i, r := range rows {
		out[i] = auth.Membership{Role: auth.Role(r.Role), Org: Org{ID: r.ID, Name: r.Name, Slug: r.Slug, Timezone: r.Timezone, DefaultCountry: r.DefaultCountry, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}}
	}
	return out, nil
}
