package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPassword(t *testing.T) {
	t.Parallel()

	t.Run("RightAndWrong", func(t *testing.T) {
		t.Parallel()

		hash, err := HashPassword("correct horse battery")
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"), hash)

		ok, err := VerifyPassword("correct horse battery", hash)
		require.NoError(t, err)
		require.True(t, ok)

		for _, wrong := range []string{"", "correct horse batter", "Correct horse battery", "correct horse battery "} {
			ok, err := VerifyPassword(wrong, hash)
			require.NoError(t, err)
			require.False(t, ok, "%q", wrong)
		}
	})

	t.Run("Salted", func(t *testing.T) {
		t.Parallel()

		a, err := HashPassword("same password")
		require.NoError(t, err)
		b, err := HashPassword("same password")
		require.NoError(t, err)
		require.NotEqual(t, a, b)
	})

	t.Run("Unicode", func(t *testing.T) {
		t.Parallel()

		hash, err := HashPassword("pässwörd-😀-密码")
		require.NoError(t, err)
		ok, err := VerifyPassword("pässwörd-😀-密码", hash)
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("Malformed", func(t *testing.T) {
		t.Parallel()

		salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
		key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
		tests := []struct {
			name string
			hash string
		}{
			{"Empty", ""},
			{"Plain", "hunter2"},
			{"Bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
			{"Argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
			{"OldVersion", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
			{"NoVersion", "$argon2id$19$m=19456,t=2,p=1$" + salt + "$" + key},
			{"BadParams", "$argon2id$v=19$m=lots,t=2,p=1$" + salt + "$" + key},
			{"ThreadsOverflow", "$argon2id$v=19$m=19456,t=2,p=300$" + salt + "$" + key},
			{"BadSalt", "$argon2id$v=19$m=19456,t=2,p=1$!!!$" + key},
			{"BadKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$***"},
			{"TooFewParts", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
			{"TooManyParts", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$extra"},
			// Parameters argon2 cannot run with must be refused, not
			// panic (a panic in the login path is a 500 for everyone
			// whose row is damaged).
			{"ZeroTime", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
			{"ZeroThreads", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
			// An empty key compares equal to an empty derivation:
			// every password would match.
			{"EmptyKey", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				var (
					ok  bool
					err error
				)
				require.NotPanics(t, func() { ok, err = VerifyPassword("any password", tt.hash) })
				require.False(t, ok, "a malformed hash never verifies")
				require.ErrorIs(t, err, errBadHash)
			})
		}
	})

	t.Run("DummyHashVerifies", func(t *testing.T) {
		t.Parallel()

		ok, err := VerifyPassword("switchboard-timing-equalizer", dummyHash())
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, dummyHash(), dummyHash(), "computed once")
	})
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		pw    string
		valid bool
	}{
		{"Empty", "", false},
		{"Short", "123456789", false},
		{"MinLength", "1234567890", true},
		{"RunesNotBytes", "ééééééééé", false},
		{"MaxBytes", strings.Repeat("a", 1024), true},
		{"TooLong", strings.Repeat("a", 1025), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPassword("body.password", tt.pw)
			if tt.valid {
				require.NoError(t, err)
				return
			}
			requireFieldError(t, err, "body.password")
		})
	}
}
