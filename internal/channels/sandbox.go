package channels

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// The sandbox (internal/sandbox) accepts any credentials but keys what it
// records by them (SendGrid signing keys by API key, WhatsApp senders by
// number, bots by token, subscriptions by account id), so every org gets
// its own random ones. They have the real formats, so that they pass the
// same validation and the SDKs' own checks (twilio-go wants alphanumeric
// SID and token; go-telegram/bot reads the bot id before the colon).

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		k, _ := rand.Int(rand.Reader, max) // crypto/rand never fails (Go 1.24+)
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sandboxSender is a random valid US number in the 415 area. The
// sandbox's magic endings (0000 invalid, 0429 rate limited, 0500 server
// error) are for recipients; a sender avoids them.
func sandboxSender() string {
	for {
		n := "+1415" + randomFrom("23456789", 1) + randomFrom("0123456789", 6)
		if !strings.HasSuffix(n, "0000") && !strings.HasSuffix(n, "0429") && !strings.HasSuffix(n, "0500") {
			if _, err := checkSender(n); err == nil {
				return n
			}
		}
	}
}

// SandboxParams are fresh sandbox credentials for channel c, enabled, with
// every field of the channel set (or cleared) so that nothing of real
// credentials stays behind.
func SandboxParams(c Channel, actor uuid.NullUUID) PutParams {
	enabled := true
	str := func(s string) *string { return &s }
	p := PutParams{Enabled: &enabled, Actor: actor, Config: map[string]string{}, Secrets: map[string]*string{}}
	switch c {
	case ChannelEmail:
		p.Secrets[FieldAPIKey] = str("SG." + randomFrom(alnum, 22) + "." + randomFrom(alnum, 43))
		p.Config[FieldFromEmail] = "hello@sandbox.switchboard.test"
		p.Config[FieldFromName] = "Switchboard Sandbox"
		p.Config[FieldReplyTo] = ""
		p.Config[FieldEventPublicKey] = "" // fetched from the sandbox by the check
	case ChannelWhatsApp:
		p.Config[FieldAccountSID] = "AC" + randomHex(32)
		p.Secrets[FieldAuthToken] = str(randomHex(32))
		p.Config[FieldFrom] = sandboxSender()
	case ChannelTelegram:
		p.Secrets[FieldBotToken] = str(randomFrom("123456789", 1) + randomFrom("0123456789", 9) + ":AA" + randomFrom(alnum, 33))
	case ChannelInstagram:
		p.Config[FieldAccountID] = "1784" + randomFrom("0123456789", 13)
		p.Secrets[FieldAccessToken] = str("EAA" + randomFrom(alnum, 120))
		p.Secrets[FieldAppSecret] = str(randomHex(32))
		p.Secrets[FieldVerifyToken] = str("") // a new one
	}
	return p
}

// UseSandbox replaces the channel's settings with fresh sandbox
// credentials; sandbox must be the server's SANDBOX setting.
func (s *Store) UseSandbox(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c Channel, sandbox bool, actor uuid.NullUUID, now time.Time) (dbsqlc.ChannelSetting, error) {
	if !sandbox {
		return dbsqlc.ChannelSetting{}, ErrNotSandbox
	}
	return s.Put(ctx, db, orgID, c, SandboxParams(c, actor), now)
}

// SeedSandbox gives the demo org all four channels with sandbox
// credentials, enabled and unchecked. Channels it has already configured
// are left alone, so seeding again changes nothing.
func SeedSandbox(ctx context.Context, db dbutil.Executor, store *Store, orgID uuid.UUID) error {
	for _, c := range All {
		_, err := dbsqlc.New().GetChannelSettings(ctx, db, dbsqlc.GetChannelSettingsParams{OrgID: orgID, Channel: string(c)})
		if err == nil {
			continue
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("reading %s settings: %w", c, err)
		}
		if _, err := store.Put(ctx, db, orgID, c, SandboxParams(c, uuid.NullUUID{}), time.Now()); err != nil {
			return fmt.Errorf("seeding sandbox %s settings: %w", c, err)
		}
	}
	return nil
}
