// Package testfactory makes the rows tests need, each call a fresh,
// independent set (random emails and names), so tests never share fixtures.
package testfactory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/orgs"
)

// Password is what factory users sign in with unless told otherwise.
const Password = "correct-horse-battery"

// Suffix returns a short random string for unique names.
func Suffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// UserOpts shape a user; zero values get defaults.
type UserOpts struct {
	Email    string
	Name     string
	Password string // empty: Password; "-" for none (an SSO-only account)
	Staff    bool
}

// User inserts a user.
func User(ctx context.Context, tb testing.TB, db dbutil.Executor, opts *UserOpts) dbsqlc.User {
	tb.Helper()
	if opts == nil {
		opts = &UserOpts{}
	}
	email := opts.Email
	if email == "" {
		email = "user-" + Suffix() + "@example.com"
	}
	name := opts.Name
	if name == "" {
		name = "Test User"
	}
	pw := opts.Password
	switch pw {
	case "":
		pw = Password
	case "-":
		pw = ""
	}
	u, err := auth.CreateUser(ctx, db, email, name, pw, nil)
	require.NoError(tb, err)
	if opts.Staff {
		require.NoError(tb, dbsqlc.New().SetUserStaff(ctx, db, dbsqlc.SetUserStaffParams{IsStaff: true, ID: u.ID}))
		u.IsStaff = true
	}
	return u
}

// OrgOpts shape an org.
type OrgOpts struct {
	Name  string
	Owner *dbsqlc.User // nil: a new user
}

// Org inserts an org and its owner.
func Org(ctx context.Context, tb testing.TB, db dbutil.Executor, opts *OrgOpts) (orgs.Org, dbsqlc.User) {
	tb.Helper()
	if opts == nil {
		opts = &OrgOpts{}
	}
	name := opts.Name
	if name == "" {
		name = "Org " + Suffix()
	}
	var owner dbsqlc.User
	if opts.Owner != nil {
		owner = *opts.Owner
	} else {
		owner = User(ctx, tb, db, nil)
	}
	org, err := orgs.Create(ctx, db, owner.ID, orgs.Settings{Name: &name})
	require.NoError(tb, err)
	return org, owner
}

// Member adds a new user to the org with role.
func Member(ctx context.Context, tb testing.TB, db dbutil.Executor, orgID uuid.UUID, role auth.Role) dbsqlc.User {
	tb.Helper()
	u := User(ctx, tb, db, nil)
	_, err := dbsqlc.New().AddMember(ctx, db, dbsqlc.AddMemberParams{OrgID: orgID, UserID: u.ID, Role: string(role)})
	require.NoError(tb, err)
	return u
}

// APIKeyOpts shape a key.
type APIKeyOpts struct {
	OrgID  uuid.UUID
	Scopes []string // nil: every scope
}

// APIKey creates a key and returns it with its secret.
func APIKey(ctx context.Context, tb testing.TB, db dbutil.Executor, opts *APIKeyOpts) *apikeys.NewKey {
	tb.Helper()
	scopes := opts.Scopes
	if scopes == nil {
		for _, s := range auth.Scopes {
			scopes = append(scopes, s.Name)
		}
	}
	k, err := apikeys.Create(ctx, db, opts.OrgID, apikeys.CreateParams{Name: "key " + Suffix(), Scopes: scopes}, time.Now())
	require.NoError(tb, err)
	return k
}
