package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// validKey is a base64 32-byte secret (openssl rand -base64 32).
var validKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

func TestLoad(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		env     map[string]string
		dataDir string
	}

	// setup returns the smallest environment that loads: DATABASE_URL, and
	// a private DATA_DIR for the dev secrets.
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		dir := t.TempDir()
		return &testBundle{
			env:     map[string]string{"DATABASE_URL": "postgres://localhost/switchboard", "DATA_DIR": dir},
			dataDir: dir,
		}
	}

	load := func(env map[string]string) (*Config, error) {
		return Load(func(k string) string { return env[k] })
	}

	// prodEnv is a complete production environment.
	prodEnv := func(b *testBundle) map[string]string {
		b.env["APP_ENV"] = "prod"
		b.env["JWT_SECRET"] = validKey
		b.env["SECRETS_KEY"] = validKey
		b.env["PUBLIC_BASE_URL"] = "https://switchboard.example.com"
		return b.env
	}

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		c, err := load(b.env)
		require.NoError(t, err)
		require.Equal(t, EnvDev, c.AppEnv)
		require.False(t, c.IsProd())
		require.Equal(t, "postgres://localhost/switchboard", c.DatabaseURL)
		require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
		require.Equal(t, "http://localhost:8080", c.PublicBaseURL)
		require.Equal(t, "info", c.LogLevel)
		require.Equal(t, "console", c.LogFormat)
		require.Empty(t, c.LogFile)
		require.Equal(t, b.dataDir, c.DataDir)
		require.Equal(t, 15*time.Minute, c.AccessTokenTTL)
		require.Equal(t, 30*24*time.Hour, c.RefreshTokenTTL)
		require.Equal(t, 7*24*time.Hour, c.InvitationTTL)
		require.Equal(t, 8<<20, c.MaxBodyBytes)
		require.Equal(t, int32(20), c.DBMaxConns)
		require.Equal(t, 10, c.LoginLimitPerEmail)
		require.Equal(t, 50, c.LoginLimitPerIP)
		require.Equal(t, 20, c.SignupLimitPerIP)
		require.True(t, c.Sandbox, "dev runs in the sandbox by default")
		require.Len(t, c.JWTSecret, 32)
		require.Len(t, c.SecretsKey, 32)
		require.NotEqual(t, c.JWTSecret, c.SecretsKey)
		require.Equal(t, Queues, c.WorkerConcurrency)
		for _, name := range SSOProviders {
			require.Contains(t, c.SSO, name)
			require.False(t, c.SSO[name].Configured(), name)
		}
	})

	t.Run("Overrides", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.env["HTTP_ADDR"] = ":9000"
		b.env["PUBLIC_BASE_URL"] = "https://sb.example.com/"
		b.env["LOG_LEVEL"] = "DEBUG"
		b.env["LOG_FORMAT"] = "json"
		b.env["ACCESS_TOKEN_TTL"] = "5m"
		b.env["MAX_BODY_BYTES"] = "1024"
		b.env["DB_MAX_CONNS"] = "7"
		b.env["SANDBOX"] = "0"
		b.env["WORKER_EMAIL_CONCURRENCY"] = "3"
		b.env["LOGIN_LIMIT_PER_EMAIL"] = "5"
		b.env["SIGNUP_LIMIT_PER_IP"] = "100000"

		c, err := load(b.env)
		require.NoError(t, err)
		require.Equal(t, ":9000", c.HTTPAddr)
		require.Equal(t, "https://sb.example.com", c.PublicBaseURL, "the trailing slash is trimmed")
		require.Equal(t, "debug", c.LogLevel)
		require.Equal(t, "json", c.LogFormat)
		require.Equal(t, 5*time.Minute, c.AccessTokenTTL)
		require.Equal(t, 1024, c.MaxBodyBytes)
		require.Equal(t, int32(7), c.DBMaxConns)
		require.False(t, c.Sandbox)
		require.Equal(t, 3, c.WorkerConcurrency["email"])
		require.Equal(t, 5, c.LoginLimitPerEmail)
		require.Equal(t, 100000, c.SignupLimitPerIP)
		require.Equal(t, Queues["default"], c.WorkerConcurrency["default"])
	})

	t.Run("BadVariablesReportedByName", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name    string
			env     map[string]string
			prod    bool
			wantVar string
		}{
			{name: "AppEnv", env: map[string]string{"APP_ENV": "staging"}, wantVar: "APP_ENV"},
			{name: "LogLevel", env: map[string]string{"LOG_LEVEL": "verbose"}, wantVar: "LOG_LEVEL"},
			{name: "LogFormat", env: map[string]string{"LOG_FORMAT": "xml"}, wantVar: "LOG_FORMAT"},
			{name: "PublicBaseURLScheme", env: map[string]string{"PUBLIC_BASE_URL": "ftp://sb.example.com"}, wantVar: "PUBLIC_BASE_URL"},
			{name: "PublicBaseURLRelative", env: map[string]string{"PUBLIC_BASE_URL": "/app"}, wantVar: "PUBLIC_BASE_URL"},
			{name: "PublicBaseURLNoHost", env: map[string]string{"PUBLIC_BASE_URL": "https://"}, wantVar: "PUBLIC_BASE_URL"},
			{name: "AccessTokenTTLNoUnit", env: map[string]string{"ACCESS_TOKEN_TTL": "15"}, wantVar: "ACCESS_TOKEN_TTL"},
			{name: "AccessTokenTTLNegative", env: map[string]string{"ACCESS_TOKEN_TTL": "-1m"}, wantVar: "ACCESS_TOKEN_TTL"},
			{name: "AccessTokenTTLZero", env: map[string]string{"ACCESS_TOKEN_TTL": "0s"}, wantVar: "ACCESS_TOKEN_TTL"},
			{name: "RefreshTokenTTL", env: map[string]string{"REFRESH_TOKEN_TTL": "forever"}, wantVar: "REFRESH_TOKEN_TTL"},
			{name: "InvitationTTL", env: map[string]string{"INVITATION_TTL": "7 days"}, wantVar: "INVITATION_TTL"},
			{name: "MaxBodyBytes", env: map[string]string{"MAX_BODY_BYTES": "8MB"}, wantVar: "MAX_BODY_BYTES"},
			{name: "DBMaxConnsZero", env: map[string]string{"DB_MAX_CONNS": "0"}, wantVar: "DB_MAX_CONNS"},
			{name: "LoginLimitPerEmail", env: map[string]string{"LOGIN_LIMIT_PER_EMAIL": "0"}, wantVar: "LOGIN_LIMIT_PER_EMAIL"},
			{name: "LoginLimitPerIP", env: map[string]string{"LOGIN_LIMIT_PER_IP": "many"}, wantVar: "LOGIN_LIMIT_PER_IP"},
			{name: "SignupLimitPerIP", env: map[string]string{"SIGNUP_LIMIT_PER_IP": "-1"}, wantVar: "SIGNUP_LIMIT_PER_IP"},
			{name: "WorkerConcurrency", env: map[string]string{"WORKER_WEBHOOKS_CONCURRENCY": "-3"}, wantVar: "WORKER_WEBHOOKS_CONCURRENCY"},
			{name: "Sandbox", env: map[string]string{"SANDBOX": "yes"}, wantVar: "SANDBOX"},
			{name: "SandboxWithProd", env: map[string]string{"SANDBOX": "1"}, prod: true, wantVar: "SANDBOX"},
			{name: "SandboxTrueWithProd", env: map[string]string{"SANDBOX": "true"}, prod: true, wantVar: "SANDBOX"},
			{name: "DatabaseURLMissing", env: map[string]string{"DATABASE_URL": ""}, wantVar: "DATABASE_URL"},
			{name: "JWTSecretShort", env: map[string]string{"JWT_SECRET": "short"}, wantVar: "JWT_SECRET"},
			{name: "SecretsKeyShort", env: map[string]string{"SECRETS_KEY": "short"}, wantVar: "SECRETS_KEY"},
			{name: "SecretsKeyNot32Bytes", env: map[string]string{"SECRETS_KEY": base64.StdEncoding.EncodeToString(make([]byte, 48))}, wantVar: "SECRETS_KEY"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)
				env := b.env
				if tt.prod {
					env = prodEnv(b)
				}
				for k, v := range tt.env {
					env[k] = v
				}

				c, err := load(env)
				require.Error(t, err)
				require.Nil(t, c)
				require.Contains(t, err.Error(), tt.wantVar+": ")
			})
		}
	})

	t.Run("EveryProblemReported", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.env["APP_ENV"] = "staging"
		b.env["LOG_LEVEL"] = "loud"
		b.env["PUBLIC_BASE_URL"] = "nope"
		b.env["ACCESS_TOKEN_TTL"] = "soon"

		_, err := load(b.env)
		require.Error(t, err)
		lines := strings.Split(err.Error(), "\n")
		require.Equal(t, "invalid configuration:", lines[0])
		for _, name := range []string{"APP_ENV", "LOG_LEVEL", "PUBLIC_BASE_URL", "ACCESS_TOKEN_TTL"} {
			require.Contains(t, err.Error(), name+": ")
		}
		require.Len(t, lines, 5, "one line per bad variable: %s", err)
	})

	t.Run("ProdRequiresSecrets", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.env["APP_ENV"] = "prod"

		_, err := load(b.env)
		require.Error(t, err)
		require.Contains(t, err.Error(), "JWT_SECRET: is required when APP_ENV=prod")
		require.Contains(t, err.Error(), "SECRETS_KEY: is required when APP_ENV=prod")

		entries, err := os.ReadDir(b.dataDir)
		require.NoError(t, err)
		require.Empty(t, entries, "prod never generates secrets")
	})

	t.Run("Prod", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		c, err := load(prodEnv(b))
		require.NoError(t, err)
		require.True(t, c.IsProd())
		require.False(t, c.Sandbox)
		require.Equal(t, "json", c.LogFormat)
		require.Equal(t, []byte("0123456789abcdef0123456789abcdef"), c.JWTSecret)
		require.Equal(t, []byte("0123456789abcdef0123456789abcdef"), c.SecretsKey)
	})

	t.Run("RawJWTSecret", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		raw := strings.Repeat("s3cr3t!", 6)
		b.env["JWT_SECRET"] = raw

		c, err := load(b.env)
		require.NoError(t, err)
		require.Equal(t, []byte(raw), c.JWTSecret)
	})

	t.Run("DevSecretsGeneratedOnceAndReused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		first, err := load(b.env)
		require.NoError(t, err)
		for _, name := range []string{"jwt_secret", "secrets_key"} {
			fi, err := os.Stat(filepath.Join(b.dataDir, name))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
		}

		second, err := load(b.env)
		require.NoError(t, err)
		require.Equal(t, first.JWTSecret, second.JWTSecret)
		require.Equal(t, first.SecretsKey, second.SecretsKey)

		other := setup(t)
		third, err := load(other.env)
		require.NoError(t, err)
		require.NotEqual(t, first.JWTSecret, third.JWTSecret, "another data dir has its own secrets")
	})

	t.Run("DevSecretsUnderMissingDataDir", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.env["DATA_DIR"] = filepath.Join(b.dataDir, "nested", "data")

		c, err := load(b.env)
		require.NoError(t, err)
		require.Len(t, c.JWTSecret, 32)
		_, err = os.Stat(filepath.Join(b.dataDir, "nested", "data", "jwt_secret"))
		require.NoError(t, err)
	})

	t.Run("OIDC", func(t *testing.T) {
		t.Parallel()

		t.Run("ClientIDWithoutSecret", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env["OIDC_GOOGLE_CLIENT_ID"] = "client"

			_, err := load(b.env)
			require.Error(t, err)
			require.Contains(t, err.Error(), "OIDC_GOOGLE_CLIENT_SECRET: ")
		})

		t.Run("SecretWithoutClientID", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env["OIDC_MICROSOFT_CLIENT_SECRET"] = "secret"

			_, err := load(b.env)
			require.Error(t, err)
			require.Contains(t, err.Error(), "OIDC_MICROSOFT_CLIENT_SECRET: ")
		})

		t.Run("DefaultIssuer", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env["OIDC_GOOGLE_CLIENT_ID"] = "client"
			b.env["OIDC_GOOGLE_CLIENT_SECRET"] = "secret"

			c, err := load(b.env)
			require.NoError(t, err)
			require.Equal(t, SSOProvider{Issuer: "https://accounts.google.com", ClientID: "client", ClientSecret: "secret"}, c.SSO["google"])
			require.True(t, c.SSO["google"].Configured())
			require.False(t, c.SSO["microsoft"].Configured())
		})

		t.Run("CustomIssuer", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env["OIDC_MICROSOFT_ISSUER"] = "https://login.microsoftonline.com/tenant/v2.0"
			b.env["OIDC_MICROSOFT_CLIENT_ID"] = "client"
			b.env["OIDC_MICROSOFT_CLIENT_SECRET"] = "secret"

			c, err := load(b.env)
			require.NoError(t, err)
			require.Equal(t, "https://login.microsoftonline.com/tenant/v2.0", c.SSO["microsoft"].Issuer)
		})
	})
}
