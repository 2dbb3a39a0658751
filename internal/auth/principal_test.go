package auth

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/fault"
)

// requireFieldError asserts err is a validation error naming exactly locations.
func requireFieldError(t *testing.T, err error, locations ...string) {
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

// TestCheck is the role matrix: every kind of principal against every kind
// of access rule an operation declares.
func TestCheck(t *testing.T) {
	t.Parallel()

	org := uuid.New()
	user := func(role Role) *Principal {
		return &Principal{Kind: KindUser, UserID: uuid.New(), SessionID: uuid.New(), OrgID: org, Role: role}
	}
	allScopes := make([]string, 0, len(Scopes))
	for _, s := range Scopes {
		allScopes = append(allScopes, s.Name)
	}
	principals := map[string]*Principal{
		"owner":         user(RoleOwner),
		"admin":         user(RoleAdmin),
		"member":        user(RoleMember),
		"viewer":        user(RoleViewer),
		"unknownRole":   user(Role("superuser")),
		"noOrg":         {Kind: KindUser, UserID: uuid.New(), SessionID: uuid.New()},
		"staffNoOrg":    {Kind: KindUser, UserID: uuid.New(), SessionID: uuid.New(), Staff: true},
		"staffViewer":   {Kind: KindUser, UserID: uuid.New(), SessionID: uuid.New(), Staff: true, OrgID: org, Role: RoleViewer},
		"keyRead":       {Kind: KindAPIKey, APIKeyID: uuid.New(), OrgID: org, Scopes: []string{"members:read"}},
		"keyReadWrite":  {Kind: KindAPIKey, APIKeyID: uuid.New(), OrgID: org, Scopes: []string{"members:read", "members:write"}},
		"keyAllScopes":  {Kind: KindAPIKey, APIKeyID: uuid.New(), OrgID: org, Scopes: allScopes},
		"keyNoScopes":   {Kind: KindAPIKey, APIKeyID: uuid.New(), OrgID: org},
		"noCredentials": {},
	}

	rules := map[string]Access{
		"public":       {Public: true},
		"me":           {UserOnly: true, NoOrg: true},
		"anyMember":    {},
		"readMembers":  {Role: RoleViewer, Scope: "members:read"},
		"writeMembers": {Role: RoleAdmin, Scope: "members:write"},
		"work":         {Role: RoleMember},
		"deleteOrg":    {Role: RoleOwner, UserOnly: true},
		"staff":        {Staff: true, NoOrg: true},
		"staffInOrg":   {Staff: true},
	}

	// want[rule][principal]; nil means allowed.
	want := map[string]map[string]error{
		"public": {
			"owner": nil, "admin": nil, "member": nil, "viewer": nil, "unknownRole": nil, "noOrg": nil,
			"staffNoOrg": nil, "staffViewer": nil, "keyRead": nil, "keyReadWrite": nil, "keyAllScopes": nil,
			"keyNoScopes": nil, "noCredentials": nil,
		},
		"me": {
			"owner": nil, "admin": nil, "member": nil, "viewer": nil, "unknownRole": nil, "noOrg": nil,
			"staffNoOrg": nil, "staffViewer": nil, "keyRead": ErrUserOnly, "keyReadWrite": ErrUserOnly,
			"keyAllScopes": ErrUserOnly, "keyNoScopes": ErrUserOnly, "noCredentials": ErrUnauthenticated,
		},
		"anyMember": {
			"owner": nil, "admin": nil, "member": nil, "viewer": nil, "unknownRole": nil, "noOrg": ErrNoOrg,
			"staffNoOrg": ErrNoOrg, "staffViewer": nil, "keyRead": ErrUserOnly, "keyReadWrite": ErrUserOnly,
			"keyAllScopes": ErrUserOnly, "keyNoScopes": ErrUserOnly, "noCredentials": ErrUnauthenticated,
		},
		"readMembers": {
			"owner": nil, "admin": nil, "member": nil, "viewer": nil, "unknownRole": ErrForbidden, "noOrg": ErrNoOrg,
			"staffNoOrg": ErrNoOrg, "staffViewer": nil, "keyRead": nil, "keyReadWrite": nil,
			"keyAllScopes": nil, "keyNoScopes": ErrScope, "noCredentials": ErrUnauthenticated,
		},
		"writeMembers": {
			"owner": nil, "admin": nil, "member": ErrForbidden, "viewer": ErrForbidden, "unknownRole": ErrForbidden,
			"noOrg": ErrNoOrg, "staffNoOrg": ErrNoOrg, "staffViewer": ErrForbidden, "keyRead": ErrScope,
			"keyReadWrite": nil, "keyAllScopes": nil, "keyNoScopes": ErrScope, "noCredentials": ErrUnauthenticated,
		},
		"work": {
			"owner": nil, "admin": nil, "member": nil, "viewer": ErrForbidden, "unknownRole": ErrForbidden,
			"noOrg": ErrNoOrg, "staffNoOrg": ErrNoOrg, "staffViewer": ErrForbidden, "keyRead": ErrUserOnly,
			"keyReadWrite": ErrUserOnly, "keyAllScopes": ErrUserOnly, "keyNoScopes": ErrUserOnly,
			"noCredentials": ErrUnauthenticated,
		},
		"deleteOrg": {
			"owner": nil, "admin": ErrForbidden, "member": ErrForbidden, "viewer": ErrForbidden,
			"unknownRole": ErrForbidden, "noOrg": ErrNoOrg, "staffNoOrg": ErrNoOrg, "staffViewer": ErrForbidden,
			"keyRead": ErrUserOnly, "keyReadWrite": ErrUserOnly, "keyAllScopes": ErrUserOnly,
			"keyNoScopes": ErrUserOnly, "noCredentials": ErrUnauthenticated,
		},
		"staff": {
			"owner": ErrStaffOnly, "admin": ErrStaffOnly, "member": ErrStaffOnly, "viewer": ErrStaffOnly,
			"unknownRole": ErrStaffOnly, "noOrg": ErrStaffOnly, "staffNoOrg": nil, "staffViewer": nil,
			"keyRead": ErrUserOnly, "keyReadWrite": ErrUserOnly, "keyAllScopes": ErrUserOnly,
			"keyNoScopes": ErrUserOnly, "noCredentials": ErrUnauthenticated,
		},
		"staffInOrg": {
			"owner": ErrStaffOnly, "admin": ErrStaffOnly, "member": ErrStaffOnly, "viewer": ErrStaffOnly,
			"unknownRole": ErrStaffOnly, "noOrg": ErrStaffOnly, "staffNoOrg": ErrNoOrg, "staffViewer": nil,
			"keyRead": ErrUserOnly, "keyReadWrite": ErrUserOnly, "keyAllScopes": ErrUserOnly,
			"keyNoScopes": ErrUserOnly, "noCredentials": ErrUnauthenticated,
		},
	}

	for ruleName, rule := range rules {
		t.Run(ruleName, func(t *testing.T) {
			t.Parallel()
			expect, ok := want[ruleName]
			require.True(t, ok, "no expectations for rule %s", ruleName)
			require.Len(t, expect, len(principals), "every principal has an expectation under %s", ruleName)
			for pName, p := range principals {
				wantErr, ok := expect[pName]
				require.True(t, ok, "no expectation for %s under %s", pName, ruleName)
				err := Check(p, rule)
				if wantErr == nil {
					require.NoError(t, err, "%s under %s", pName, ruleName)
				} else {
					require.ErrorIs(t, err, wantErr, "%s under %s", pName, ruleName)
				}
			}
		})
	}
}

func TestRole(t *testing.T) {
	t.Parallel()

	roles := []Role{RoleViewer, RoleMember, RoleAdmin, RoleOwner}
	for i, r := range roles {
		require.True(t, r.Valid(), r)
		for j, min := range roles {
			require.Equal(t, i >= j, r.AtLeast(min), "%s at least %s", r, min)
		}
	}
	for _, r := range []Role{"", "Owner", "superuser"} {
		require.False(t, r.Valid(), r)
		require.False(t, r.AtLeast(RoleViewer), r)
		require.False(t, r.AtLeast(""), "an unknown role includes nothing, not even the empty one")
	}
}

func TestValidScope(t *testing.T) {
	t.Parallel()

	for _, s := range Scopes {
		require.True(t, ValidScope(s.Name), s.Name)
		require.NotEmpty(t, s.Description, s.Name)
	}
	for _, s := range []string{"", "members", "members:*", "MEMBERS:READ", "admin"} {
		require.False(t, ValidScope(s), s)
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()

	tests := []struct {
		header string
		token  string
		ok     bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"bEaReR sb_0123456789ab_secret", "sb_0123456789ab_secret", true},
		{"Bearer   abc  ", "abc", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer     ", "", false},
		{"Bearerabc", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"Token abc", "", false},
		{"abc", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			t.Parallel()
			token, ok := bearer(tt.header)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.token, token)
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()

	tests := []struct {
		raw  string
		want string // empty: invalid
	}{
		{"ada@example.com", "ada@example.com"},
		{"  ada@example.com  ", "ada@example.com"},
		{"Ada.Lovelace@Example.COM", "Ada.Lovelace@example.com"},
		{"ada+tag@sub.example.org", "ada+tag@sub.example.org"},
		{"", ""},
		{"ada", ""},
		{"ada@", ""},
		{"@example.com", ""},
		{"Ada <ada@example.com>", ""},
		{"ada@example.com, bob@example.com", ""},
		{"a@b@example.com", ""},
		{strings.Repeat("a", 250) + "@example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeEmail("body.email", tt.raw)
			if tt.want == "" {
				requireFieldError(t, err, "body.email")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPrincipal(t *testing.T) {
	t.Parallel()

	u := &Principal{Kind: KindUser, UserID: uuid.New()}
	require.Equal(t, uuid.NullUUID{UUID: u.UserID, Valid: true}, u.CreatedBy())
	require.False(t, u.HasOrg())

	k := &Principal{Kind: KindAPIKey, APIKeyID: uuid.New(), OrgID: uuid.New()}
	require.False(t, k.CreatedBy().Valid, "a key is no user to record")
	require.True(t, k.HasOrg())
}
