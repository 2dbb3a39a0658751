// Package config reads every binary's settings from the environment, once,
// into one validated struct. Defaults make `make run` work with nothing set;
// in production (APP_ENV=prod) secrets have no defaults.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environments understood by APP_ENV.
const (
	EnvDev  = "dev"
	EnvProd = "prod"
)

// Config is the whole environment of a Switchboard process.
type Config struct {
	AppEnv        string // APP_ENV: dev or prod
	DatabaseURL   string // DATABASE_URL
	HTTPAddr      string // HTTP_ADDR
	PublicBaseURL string // PUBLIC_BASE_URL, without a trailing slash
	JWTSecret     []byte // JWT_SECRET
	SecretsKey    []byte // SECRETS_KEY, 32 bytes after decoding
	Sandbox       bool   // SANDBOX

	LogLevel  string // LOG_LEVEL
	LogFormat string // LOG_FORMAT: json or console
	LogFile   string // LOG_FILE: optional rotating file

	DataDir string // DATA_DIR: where dev secrets and local files live

	AccessTokenTTL  time.Duration // ACCESS_TOKEN_TTL
	RefreshTokenTTL time.Duration // REFRESH_TOKEN_TTL
	InvitationTTL   time.Duration // INVITATION_TTL
	MaxBodyBytes    int           // MAX_BODY_BYTES

	DBMaxConns int32 // DB_MAX_CONNS

	// Sign-in throttles: attempts per 15 minutes per email, per 5 minutes
	// per client address, and sign-ups per hour per address.
	LoginLimitPerEmail int // LOGIN_LIMIT_PER_EMAIL
	LoginLimitPerIP    int // LOGIN_LIMIT_PER_IP
	SignupLimitPerIP   int // SIGNUP_LIMIT_PER_IP

	SSO map[string]SSOProvider // OIDC_GOOGLE_*, OIDC_MICROSOFT_*

	// WorkerConcurrency maps a River queue to its MaxWorkers (WORKER_<QUEUE>_CONCURRENCY).
	WorkerConcurrency map[string]int

	// Providers holds each provider's API root (SENDGRID_BASE_URL, ...).
	// With the sandbox on, unset ones point at PUBLIC_BASE_URL/sandbox/<name>.
	Providers ProviderURLs
	// ProviderTimeout bounds one provider call (PROVIDER_TIMEOUT).
	ProviderTimeout time.Duration
	// StorageDir is where uploaded attachments and inbound media are kept
	// (STORAGE_DIR, default DATA_DIR/files).
	StorageDir string
}

// ProviderURLs are the API roots the provider adapters call.
type ProviderURLs struct {
	SendGrid  string
	Twilio    string
	Telegram  string
	Instagram string
}

// providerDefaults are the real providers' API roots.
var providerDefaults = ProviderURLs{
	SendGrid:  "https://api.sendgrid.com",
	Twilio:    "https://api.twilio.com",
	Telegram:  "https://api.telegram.org",
	Instagram: "https://graph.facebook.com",
}

// SSOProvider is one OpenID Connect provider's client settings.
type SSOProvider struct {
	Issuer       string
	ClientID     string
	ClientSecret string
}

// Configured reports whether the provider can be used.
func (p SSOProvider) Configured() bool {
	return p.Issuer != "" && p.ClientID != "" && p.ClientSecret != ""
}

// IsProd reports whether the process runs in production mode.
func (c *Config) IsProd() bool { return c.AppEnv == EnvProd }

// SSOProviders are the names accepted in /api/v1/auth/sso/{provider}.
var SSOProviders = []string{"google", "microsoft"}

// defaultIssuers are the public issuers used when only a client id and secret are set.
var defaultIssuers = map[string]string{
	"google":    "https://accounts.google.com",
	"microsoft": "https://login.microsoftonline.com/common/v2.0",
}

// Queues lists every River queue and its default worker count.
var Queues = map[string]int{
	"default":   10,
	"email":     20,
	"whatsapp":  20,
	"telegram":  20,
	"instagram": 20,
	"webhooks":  20,
	"campaigns": 5,
	"calendar":  5,
}

// Load reads the environment through getenv (os.Getenv in mains, a map in tests).
// Every problem is reported, one line per variable.
func Load(getenv func(string) string) (*Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(name, "want a positive duration like 15m, got %q", v)
			return def
		}
		return d
	}
	num := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			bad(name, "want a positive integer, got %q", v)
			return def
		}
		return n
	}

	c := &Config{
		AppEnv:             str("APP_ENV", EnvDev),
		DatabaseURL:        str("DATABASE_URL", ""),
		HTTPAddr:           str("HTTP_ADDR", "127.0.0.1:8080"),
		PublicBaseURL:      strings.TrimRight(str("PUBLIC_BASE_URL", "http://localhost:8080"), "/"),
		LogLevel:           strings.ToLower(str("LOG_LEVEL", "info")),
		LogFormat:          strings.ToLower(str("LOG_FORMAT", "")),
		LogFile:            str("LOG_FILE", ""),
		DataDir:            str("DATA_DIR", ".data"),
		AccessTokenTTL:     dur("ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL:    dur("REFRESH_TOKEN_TTL", 30*24*time.Hour),
		InvitationTTL:      dur("INVITATION_TTL", 7*24*time.Hour),
		MaxBodyBytes:       num("MAX_BODY_BYTES", 8<<20),
		DBMaxConns:         int32(num("DB_MAX_CONNS", 20)),
		LoginLimitPerEmail: num("LOGIN_LIMIT_PER_EMAIL", 10),
		LoginLimitPerIP:    num("LOGIN_LIMIT_PER_IP", 50),
		SignupLimitPerIP:   num("SIGNUP_LIMIT_PER_IP", 20),
		SSO:                map[string]SSOProvider{},
		WorkerConcurrency:  map[string]int{},
	}

	switch c.AppEnv {
	case EnvDev, EnvProd:
	default:
		bad("APP_ENV", "want dev or prod, got %q", c.AppEnv)
	}
	if c.LogFormat == "" {
		c.LogFormat = "console"
		if c.IsProd() {
			c.LogFormat = "json"
		}
	}
	switch c.LogFormat {
	case "json", "console":
	default:
		bad("LOG_FORMAT", "want json or console, got %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL", "want trace, debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.DatabaseURL == "" {
		bad("DATABASE_URL", "is required (make run sets it for you)")
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("PUBLIC_BASE_URL", "want an absolute http(s) URL, got %q", c.PublicBaseURL)
	}

	sandbox := str("SANDBOX", "")
	switch sandbox {
	case "":
		c.Sandbox = !c.IsProd()
	case "1", "true":
		c.Sandbox = true
	case "0", "false":
		c.Sandbox = false
	default:
		bad("SANDBOX", "want 1 or 0, got %q", sandbox)
	}
	if c.IsProd() && c.Sandbox {
		bad("SANDBOX", "the sandbox cannot run with APP_ENV=prod")
	}

	c.JWTSecret = secret(getenv, "JWT_SECRET", c, 32, bad)
	c.SecretsKey = secret(getenv, "SECRETS_KEY", c, 32, bad)
	if len(c.SecretsKey) > 0 && len(c.SecretsKey) != 32 {
		bad("SECRETS_KEY", "want 32 bytes, base64-encoded (openssl rand -base64 32)")
	}

	for _, name := range SSOProviders {
		prefix := "OIDC_" + strings.ToUpper(name) + "_"
		p := SSOProvider{
			Issuer:       str(prefix+"ISSUER", ""),
			ClientID:     str(prefix+"CLIENT_ID", ""),
			ClientSecret: str(prefix+"CLIENT_SECRET", ""),
		}
		if p.ClientID != "" && p.Issuer == "" {
			p.Issuer = defaultIssuers[name]
		}
		if (p.ClientID == "") != (p.ClientSecret == "") {
			bad(prefix+"CLIENT_SECRET", "set both %sCLIENT_ID and %sCLIENT_SECRET, or neither", prefix, prefix)
		}
		c.SSO[name] = p
	}

	c.ProviderTimeout = dur("PROVIDER_TIMEOUT", 15*time.Second)
	c.StorageDir = str("STORAGE_DIR", filepath.Join(c.DataDir, "files"))
	providerURL := func(name, def string) string {
		v := strings.TrimRight(str(strings.ToUpper(name)+"_BASE_URL", ""), "/")
		if v == "" {
			if c.Sandbox {
				return c.PublicBaseURL + "/sandbox/" + name
			}
			return def
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(strings.ToUpper(name)+"_BASE_URL", "want an absolute http(s) URL, got %q", v)
		}
		return v
	}
	c.Providers = ProviderURLs{
		SendGrid:  providerURL("sendgrid", providerDefaults.SendGrid),
		Twilio:    providerURL("twilio", providerDefaults.Twilio),
		Telegram:  providerURL("telegram", providerDefaults.Telegram),
		Instagram: providerURL("instagram", providerDefaults.Instagram),
	}

	for queue, def := range Queues {
		c.WorkerConcurrency[queue] = num("WORKER_"+strings.ToUpper(queue)+"_CONCURRENCY", def)
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n%w", errors.Join(errs...))
	}
	return c, nil
}

// secret reads a base64 (or raw, at least minLen bytes) secret. In dev a
// missing one is generated once and kept under DataDir so restarts keep
// sessions and decryptable credentials; in prod it is an error.
func secret(getenv func(string) string, name string, c *Config, minLen int, bad func(string, string, ...any)) []byte {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		if c.IsProd() {
			bad(name, "is required when APP_ENV=prod")
			return nil
		}
		b, err := devSecret(filepath.Join(c.DataDir, strings.ToLower(name)))
		if err != nil {
			bad(name, "generating a dev secret under %s: %v", c.DataDir, err)
			return nil
		}
		return b
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) >= minLen {
		return b
	}
	if len(v) < minLen {
		bad(name, "want at least %d bytes (openssl rand -base64 32)", minLen)
		return nil
	}
	return []byte(v)
}

func devSecret(path string) ([]byte, error) {
	if raw, err := os.ReadFile(path); err == nil {
		return base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(b)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return b, nil
}
