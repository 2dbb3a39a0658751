package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestTokens(t *testing.T) {
	t.Parallel()

	secret := []byte("0123456789abcdef0123456789abcdef")

	type testBundle struct {
		tokens *Tokens
		now    time.Time
		// clock is what the tokens read as now; tests move it.
		clock *time.Time
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		clock := now
		return &testBundle{
			tokens: NewTokens(secret, 15*time.Minute, func() time.Time { return clock }),
			now:    now,
			clock:  &clock,
		}
	}

	issue := func(t *testing.T, b *testBundle) string {
		t.Helper()
		raw, err := b.tokens.Issue(uuid.New(), uuid.NullUUID{UUID: uuid.New(), Valid: true}, RoleAdmin, uuid.New(), false)
		require.NoError(t, err)
		return raw
	}

	// validClaims are claims Parse accepts at the bundle's now.
	validClaims := func(b *testBundle) jwt.MapClaims {
		return jwt.MapClaims{
			"iss": jwtIssuer,
			"aud": []string{jwtAudience},
			"sub": uuid.NewString(),
			"iat": b.now.Unix(),
			"nbf": b.now.Add(-5 * time.Second).Unix(),
			"exp": b.now.Add(15 * time.Minute).Unix(),
			"sid": uuid.NewString(),
		}
	}

	sign := func(t *testing.T, method jwt.SigningMethod, claims jwt.Claims, key any) string {
		t.Helper()
		raw, err := jwt.NewWithClaims(method, claims).SignedString(key)
		require.NoError(t, err)
		return raw
	}

	b64 := base64.RawURLEncoding.EncodeToString

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		userID, orgID, sid := uuid.New(), uuid.New(), uuid.New()
		raw, err := b.tokens.Issue(userID, uuid.NullUUID{UUID: orgID, Valid: true}, RoleMember, sid, true)
		require.NoError(t, err)

		c, err := b.tokens.Parse(raw)
		require.NoError(t, err)
		require.Equal(t, userID.String(), c.Subject)
		require.Equal(t, orgID.String(), c.OrgID)
		require.Equal(t, RoleMember, c.Role)
		require.Equal(t, sid.String(), c.SessionID)
		require.True(t, c.Staff)
		require.Equal(t, jwtIssuer, c.Issuer)
		require.Equal(t, jwt.ClaimStrings{jwtAudience}, c.Audience)
		require.Equal(t, b.now.Add(15*time.Minute), c.ExpiresAt.Time.UTC())
		require.NotEmpty(t, c.ID)
		require.Equal(t, 15*time.Minute, b.tokens.TTL())
	})

	t.Run("WithoutOrgNoRole", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		raw, err := b.tokens.Issue(uuid.New(), uuid.NullUUID{}, RoleOwner, uuid.New(), false)
		require.NoError(t, err)
		c, err := b.tokens.Parse(raw)
		require.NoError(t, err)
		require.Empty(t, c.OrgID)
		require.Empty(t, c.Role, "a role means nothing without an org")
	})

	t.Run("UniqueIDs", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.NotEqual(t, issue(t, b), issue(t, b))
	})

	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		raw := issue(t, b)

		*b.clock = b.now.Add(15*time.Minute + 4*time.Second)
		_, err := b.tokens.Parse(raw)
		require.NoError(t, err, "within the 5 s leeway")

		*b.clock = b.now.Add(15*time.Minute + 6*time.Second)
		_, err = b.tokens.Parse(raw)
		require.ErrorIs(t, err, ErrTokenExpired)
	})

	t.Run("IssuedInTheFuture", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		raw := issue(t, b)

		*b.clock = b.now.Add(-time.Minute)
		_, err := b.tokens.Parse(raw)
		require.ErrorIs(t, err, ErrTokenInvalid)
	})

	t.Run("Rejected", func(t *testing.T) {
		t.Parallel()

		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)

		tests := []struct {
			name  string
			token func(t *testing.T, b *testBundle) string
		}{
			{"Empty", func(*testing.T, *testBundle) string { return "" }},
			{"Garbage", func(*testing.T, *testBundle) string { return "not-a-token" }},
			{"TwoParts", func(*testing.T, *testBundle) string { return "eyJhbGciOiJIUzI1NiJ9.e30" }},
			{"APIKeyShaped", func(*testing.T, *testBundle) string { return "sb_0123456789ab_secret" }},
			{"AlgNone", func(t *testing.T, b *testBundle) string {
				claims, err := json.Marshal(validClaims(b))
				require.NoError(t, err)
				return b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(claims) + "."
			}},
			{"AlgNoneLibrary", func(t *testing.T, b *testBundle) string {
				return sign(t, jwt.SigningMethodNone, validClaims(b), jwt.UnsafeAllowNoneSignatureType)
			}},
			{"RS256", func(t *testing.T, b *testBundle) string {
				return sign(t, jwt.SigningMethodRS256, validClaims(b), rsaKey)
			}},
			{"HS256OtherSecret", func(t *testing.T, b *testBundle) string {
				return sign(t, jwt.SigningMethodHS256, validClaims(b), []byte("another-secret-another-secret-!!"))
			}},
			{"HS512SameSecret", func(t *testing.T, b *testBundle) string {
				return sign(t, jwt.SigningMethodHS512, validClaims(b), secret)
			}},
			{"WrongIssuer", func(t *testing.T, b *testBundle) string {
				c := validClaims(b)
				c["iss"] = "someone-else"
				return sign(t, jwt.SigningMethodHS256, c, secret)
			}},
			{"NoIssuer", func(t *testing.T, b *testBundle) string {
				c := validClaims(b)
				delete(c, "iss")
				return sign(t, jwt.SigningMethodHS256, c, secret)
			}},
			{"WrongAudience", func(t *testing.T, b *testBundle) string {
				c := validClaims(b)
				c["aud"] = []string{"switchboard-admin"}
				return sign(t, jwt.SigningMethodHS256, c, secret)
			}},
			{"NoAudience", func(t *testing.T, b *testBundle) string {
				c := validClaims(b)
				delete(c, "aud")
				return sign(t, jwt.SigningMethodHS256, c, secret)
			}},
			{"NoExpiry", func(t *testing.T, b *testBundle) string {
				c := validClaims(b)
				delete(c, "exp")
				return sign(t, jwt.SigningMethodHS256, c, secret)
			}},
			{"NotYetValid", func(t *testing.T, b *testBundle) string {
				c := validClaims(b)
				c["nbf"] = b.now.Add(time.Minute).Unix()
				return sign(t, jwt.SigningMethodHS256, c, secret)
			}},
			{"TamperedPayload", func(t *testing.T, b *testBundle) string {
				raw, err := b.tokens.Issue(uuid.New(), uuid.NullUUID{UUID: uuid.New(), Valid: true}, RoleViewer, uuid.New(), false)
				require.NoError(t, err)
				parts := strings.Split(raw, ".")
				payload, err := base64.RawURLEncoding.DecodeString(parts[1])
				require.NoError(t, err)
				var c map[string]any
				require.NoError(t, json.Unmarshal(payload, &c))
				c["role"] = "owner"
				c["staff"] = true
				forged, err := json.Marshal(c)
				require.NoError(t, err)
				return parts[0] + "." + b64(forged) + "." + parts[2]
			}},
			{"TamperedSignature", func(t *testing.T, b *testBundle) string {
				raw := issue(t, b)
				sig := []byte(raw[strings.LastIndex(raw, ".")+1:])
				sig[0] ^= 'A' ^ 'B'
				return raw[:strings.LastIndex(raw, ".")+1] + string(sig)
			}},
			{"StrippedSignature", func(t *testing.T, b *testBundle) string {
				raw := issue(t, b)
				return raw[:strings.LastIndex(raw, ".")+1]
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)

				c, err := b.tokens.Parse(tt.token(t, b))
				require.ErrorIs(t, err, ErrTokenInvalid)
				require.Nil(t, c)
			})
		}
	})

	t.Run("OtherIssuerInstance", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		other := NewTokens([]byte("a-different-32-byte-secret-value"), 15*time.Minute, func() time.Time { return b.now })
		raw, err := other.Issue(uuid.New(), uuid.NullUUID{}, "", uuid.New(), false)
		require.NoError(t, err)
		_, err = b.tokens.Parse(raw)
		require.ErrorIs(t, err, ErrTokenInvalid)
	})
}

func TestOpaqueToken(t *testing.T) {
	t.Parallel()

	tok, hash, err := NewOpaqueToken()
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	require.NoError(t, err)
	require.Len(t, raw, 32)
	require.Equal(t, HashToken(tok), hash)
	require.Len(t, hash, 32)

	other, _, err := NewOpaqueToken()
	require.NoError(t, err)
	require.NotEqual(t, tok, other)
	require.NotEqual(t, HashToken(tok), HashToken(other))
}
