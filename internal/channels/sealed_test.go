package channels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Open answers from its cache only for settings identical to the ones it
// opened: any change to the row shows in the next answer.
func TestOpenFollowsTheRow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.configure(t, b.org.ID, ChannelTelegram)

	_, err := b.store.Open(Sealed{})
	require.ErrorIs(t, err, ErrNotConfigured, "a channel never set up")

	sealed := sealedOf(mustRow(t, b, b.org.ID, ChannelTelegram))
	first, err := b.store.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, tgToken, first.(TelegramCreds).BotToken)
	again, err := b.store.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, first, again)

	// A new token (sealed afresh) and a new rate.
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{
		Secrets: map[string]*string{FieldBotToken: ptr("42:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDnew")}, RatePerSecond: ptr(7.0),
	}, b.now)
	require.NoError(t, err)
	changed, err := b.store.Open(sealedOf(mustRow(t, b, b.org.ID, ChannelTelegram)))
	require.NoError(t, err)
	require.Equal(t, "42:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDnew", changed.(TelegramCreds).BotToken)
	require.Equal(t, 7.0, changed.ChannelMeta().RatePerSecond)

	// Secrets that no longer open are refused, however recently the
	// channel's earlier ones were opened.
	tampered := sealedOf(mustRow(t, b, b.org.ID, ChannelTelegram))
	tampered.Secrets = append([]byte(nil), tampered.Secrets...)
	tampered.Secrets[len(tampered.Secrets)-1] ^= 1
	_, err = b.store.Open(tampered)
	require.ErrorIs(t, err, ErrSecretsUnreadable)

	// Disabled: not for sends.
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{Enabled: ptr(false)}, b.now)
	require.NoError(t, err)
	_, err = b.store.Open(sealedOf(mustRow(t, b, b.org.ID, ChannelTelegram)))
	require.ErrorIs(t, err, ErrNotConfigured)
}
