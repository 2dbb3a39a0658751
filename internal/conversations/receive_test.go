package conversations

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/testfactory"
)

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

// fakeMedia serves content and counts the fetches.
func fakeMedia(name, ctype string, content []byte, err error, calls *atomic.Int32) Media {
	return Media{Filename: name, ContentType: ctype, Open: func(context.Context) (io.ReadCloser, error) {
		if calls != nil {
			calls.Add(1)
		}
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(content)), nil
	}}
}

func TestReceiveNewContact(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	m := b.receive(t, Inbound{
		Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM1", From: "+14155550101",
		FirstName: "Grace Hopper", Text: "  Hello   there ", ReceivedAt: at,
	})
	require.Equal(t, "+14155550101", m.From)
	require.Equal(t, "  Hello   there ", m.Text)
	require.True(t, m.ReceivedAt.Equal(at))
	require.Empty(t, m.Media)

	c, err := contacts.Get(b.ctx, b.tx, b.org, m.ContactID)
	require.NoError(t, err)
	require.Equal(t, "+14155550101", *c.WhatsApp)
	require.Equal(t, "Grace Hopper", c.FirstName)

	conv := b.conversation(t, m.ConversationID)
	require.Equal(t, contacts.ChannelWhatsApp, conv.Channel)
	require.Equal(t, 1, conv.UnreadCount)
	require.Equal(t, "Hello there", conv.LastMessagePreview)
	require.Equal(t, "inbound", conv.LastMessageDirection)
	require.True(t, conv.LastInboundAt.Equal(at))
	require.Equal(t, "Grace Hopper", conv.Contact.Name)
	require.Equal(t, "+14155550101", conv.Contact.Address)
	require.Nil(t, conv.ReplyWindow)

	t.Run("UnknownNumberRange", func(t *testing.T) {
		// Not a number the numbering plan knows, but E.164 in shape: kept.
		m := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-555", From: "whatsapp:+15550001111", Text: "hi"})
		require.Equal(t, "+15550001111", m.From)
	})

	t.Run("InvalidSender", func(t *testing.T) {
		_, _, err := b.svc.Receive(b.ctx, b.org, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM2", From: "nope"})
		require.ErrorIs(t, err, ErrInvalidInbound)
		_, _, err = b.svc.Receive(b.ctx, b.org, Inbound{Channel: contacts.ChannelEmail, ProviderMessageID: "x", From: "a@b.c"})
		require.ErrorIs(t, err, ErrInvalidInbound)
		_, _, err = b.svc.Receive(b.ctx, b.org, Inbound{Channel: contacts.ChannelTelegram, From: "42"})
		require.ErrorIs(t, err, ErrInvalidInbound)
	})
}

func TestReceiveExistingContact(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	named := b.contact(t, contacts.ContactInput{WhatsApp: ptr("+14155550102"), FirstName: ptr("Ada"), LastName: ptr("Lovelace")})
	unnamed := b.contact(t, contacts.ContactInput{InstagramID: ptr("1784140000"), Email: ptr("ig@example.com")})

	m1 := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-a", From: "+14155550102", FirstName: "Someone Else", Text: "one"})
	m2 := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-b", From: "+14155550102", Text: "two"})
	require.Equal(t, named.ID, m1.ContactID)
	require.Equal(t, named.ID, m2.ContactID)
	require.Equal(t, m1.ConversationID, m2.ConversationID)
	c, err := contacts.Get(b.ctx, b.tx, b.org, named.ID)
	require.NoError(t, err)
	require.Equal(t, "Ada", c.FirstName, "a name someone typed in wins over the profile name")
	require.Equal(t, "Lovelace", c.LastName)
	conv := b.conversation(t, m1.ConversationID)
	require.Equal(t, 2, conv.UnreadCount)
	require.Equal(t, "two", conv.LastMessagePreview)

	// An empty name and username are filled from what the provider tells.
	m3 := b.receive(t, Inbound{Channel: contacts.ChannelInstagram, ProviderMessageID: "mid.1", From: "1784140000",
		FirstName: "Iggy", Username: "@iggy.pop", Text: "hey"})
	require.Equal(t, unnamed.ID, m3.ContactID)
	c, err = contacts.Get(b.ctx, b.tx, b.org, unnamed.ID)
	require.NoError(t, err)
	require.Equal(t, "Iggy", c.FirstName)
	require.Equal(t, "iggy.pop", *c.InstagramUsername)

	// A message older than the newest one counts as unread but keeps the preview.
	m4 := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-c", From: "+14155550102",
		Text: "late", ReceivedAt: time.Now().Add(-time.Hour)})
	conv = b.conversation(t, m4.ConversationID)
	require.Equal(t, 3, conv.UnreadCount)
	require.Equal(t, "two", conv.LastMessagePreview)
}

func TestReceiveReplay(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	var calls atomic.Int32
	in := Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "555:1", From: "555", Username: "tg_user", Text: "hi",
		Media: []Media{fakeMedia("pic.png", "image/png", pngBytes, nil, &calls)}}
	first := b.receive(t, in)
	again, created, err := b.svc.Receive(b.ctx, b.org, in)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.Media, again.Media)
	require.EqualValues(t, 1, calls.Load(), "a replay fetches no media")
	require.Equal(t, 1, b.conversation(t, first.ConversationID).UnreadCount, "a replay is not unread twice")

	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM inbound_messages WHERE org_id = $1", b.org).Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM uploads WHERE org_id = $1", b.org).Scan(&n))
	require.Equal(t, 1, n)
}

func TestReceiveMedia(t *testing.T) {
	t.Parallel()

	t.Run("Saved", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		m := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-media", From: "+14155550103",
			Media: []Media{fakeMedia("photo.jpg", "image/jpeg", pngBytes, nil, nil)}})
		require.Len(t, m.Media, 1)
		item := m.Media[0]
		require.NotNil(t, item.UploadID)
		require.Equal(t, "image/png", item.ContentType, "the type is sniffed from the bytes")
		require.Equal(t, "photo.jpg", item.Filename)
		require.EqualValues(t, len(pngBytes), item.Size)
		require.False(t, item.Unavailable)

		u, err := dbsqlc.New().GetUpload(b.ctx, b.tx, dbsqlc.GetUploadParams{OrgID: b.org, ID: *item.UploadID})
		require.NoError(t, err)
		require.Equal(t, "inbound", u.Origin)
		rc, err := b.store.Open(b.ctx, u.StorageKey)
		require.NoError(t, err)
		got, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, pngBytes, got)
		require.Equal(t, "📎 photo.jpg", b.conversation(t, m.ConversationID).LastMessagePreview)
	})

	t.Run("TransientFailureIsRetried", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		transient := &providers.Error{Provider: "twilio", Operation: "get_file", Kind: providers.KindRetryable, Status: 503}
		in := Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-flaky", From: "+14155550104", Text: "see attached",
			Media: []Media{fakeMedia("a.png", "image/png", pngBytes, nil, nil), fakeMedia("b.pdf", "application/pdf", nil, transient, nil)}}
		_, _, err := b.svc.Receive(b.ctx, b.org, in)
		require.ErrorIs(t, err, ErrMediaFetch)
		var n int
		require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM inbound_messages WHERE org_id = $1", b.org).Scan(&n))
		require.Zero(t, n)
		require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM uploads WHERE org_id = $1", b.org).Scan(&n))
		require.Zero(t, n, "the file saved before the failure is dropped")

		// The final attempt keeps the message and marks the file unavailable.
		in.LastAttempt = true
		m := b.receive(t, in)
		require.Len(t, m.Media, 2)
		require.NotNil(t, m.Media[0].UploadID)
		require.True(t, m.Media[1].Unavailable)
		require.Nil(t, m.Media[1].UploadID)
		require.Equal(t, "b.pdf", m.Media[1].Filename)
		require.Equal(t, "see attached", m.Text)
	})

	t.Run("PermanentFailureIsRecorded", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		gone := &providers.Error{Provider: "telegram", Operation: "get_file", Kind: providers.KindPermanent, Status: 400, Reason: "file is too big"}
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "9:9", From: "9",
			Media: []Media{fakeMedia("movie.mp4", "video/mp4", nil, gone, nil), fakeMedia("empty.txt", "text/plain", []byte{}, nil, nil)}})
		require.Len(t, m.Media, 2)
		require.True(t, m.Media[0].Unavailable)
		require.Equal(t, "file is too big", m.Media[0].Error)
		require.True(t, m.Media[1].Unavailable, "an empty file is refused for good")
	})

	t.Run("BrokenDownloadIsTransient", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		broken := Media{Filename: "x.png", Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(bytes.NewReader(pngBytes[:4]), errReaderOf(errors.New("connection reset")))), nil
		}}
		_, _, err := b.svc.Receive(b.ctx, b.org, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "9:10", From: "9", Media: []Media{broken}})
		require.ErrorIs(t, err, ErrMediaFetch)
	})
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func errReaderOf(err error) io.Reader { return failingReader{err} }

func TestReceiveTelegramStartCode(t *testing.T) {
	t.Parallel()

	t.Run("LinksTheContact", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		target := b.contact(t, contacts.ContactInput{Email: ptr("tg-target@example.com")})
		code, err := CreateStartCode(b.ctx, b.tx, b.org, &target.ID, false, time.Now())
		require.NoError(t, err)
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "1001:1", From: "1001",
			FirstName: "Tina", Username: "tina_tg", Text: "/start " + code.Code, StartCode: code.Code})
		require.Equal(t, target.ID, m.ContactID)
		require.Equal(t, "/start", m.Text, "the code stays out of the thread")
		c, err := contacts.Get(b.ctx, b.tx, b.org, target.ID)
		require.NoError(t, err)
		require.Equal(t, "1001", *c.TelegramChatID)
		require.Equal(t, "tina_tg", *c.TelegramUsername)
		require.Equal(t, "Tina", c.FirstName)

		got, err := GetStartCode(b.ctx, b.tx, b.org, &target.ID)
		require.NoError(t, err)
		require.NotNil(t, got.UsedAt)

		// Start again from the same chat: nothing changes.
		m = b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "1001:2", From: "1001", StartCode: code.Code})
		require.Equal(t, target.ID, m.ContactID)

		// The used code from another chat (a forwarded link) links nothing.
		m = b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "2002:1", From: "2002", StartCode: code.Code})
		require.NotEqual(t, target.ID, m.ContactID)
		c, err = contacts.Get(b.ctx, b.tx, b.org, target.ID)
		require.NoError(t, err)
		require.Equal(t, "1001", *c.TelegramChatID)

		// A POST for the contact now gives a fresh code.
		fresh, err := CreateStartCode(b.ctx, b.tx, b.org, &target.ID, false, time.Now())
		require.NoError(t, err)
		require.NotEqual(t, code.Code, fresh.Code)
		require.Nil(t, fresh.UsedAt)
	})

	t.Run("MergesAnAutoCreatedContact", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		// The person wrote before using the link: a contact was created for the chat.
		early := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "3003:1", From: "3003", FirstName: "Early", Text: "hello?"})
		target := b.contact(t, contacts.ContactInput{Email: ptr("merge-target@example.com"), Tags: []string{"vip"}})
		code, err := CreateStartCode(b.ctx, b.tx, b.org, &target.ID, false, time.Now())
		require.NoError(t, err)
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "3003:2", From: "3003", StartCode: code.Code})
		require.Equal(t, target.ID, m.ContactID)
		require.Equal(t, early.ConversationID, m.ConversationID, "the conversation moved to the code's contact")
		conv := b.conversation(t, m.ConversationID)
		require.Equal(t, target.ID, conv.Contact.ID)
		require.Equal(t, 2, conv.UnreadCount)
		_, err = contacts.Get(b.ctx, b.tx, b.org, early.ContactID)
		require.Error(t, err, "the auto-created contact is gone")
		c, err := contacts.Get(b.ctx, b.tx, b.org, target.ID)
		require.NoError(t, err)
		require.Equal(t, "3003", *c.TelegramChatID)
		require.Equal(t, "Early", c.FirstName)
		require.Equal(t, []string{"vip"}, c.Tags)
		th, err := ListThread(b.ctx, b.tx, b.org, m.ConversationID, ThreadParams{})
		require.NoError(t, err)
		require.Len(t, th.Items, 2)
	})

	t.Run("FoldsIntoTheTargetsConversation", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		// The target had a chat before (an old account) with a conversation.
		target := b.contact(t, contacts.ContactInput{Email: ptr("fold@example.com"), TelegramChatID: ptr("4004")})
		old := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "4004:1", From: "4004", Text: "old account"})
		require.Equal(t, target.ID, old.ContactID)
		early := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "5005:1", From: "5005", Text: "new account"})
		code, err := CreateStartCode(b.ctx, b.tx, b.org, &target.ID, false, time.Now())
		require.NoError(t, err)
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "5005:2", From: "5005", StartCode: code.Code})
		require.Equal(t, target.ID, m.ContactID)
		require.Equal(t, old.ConversationID, m.ConversationID)
		require.Equal(t, 3, b.conversation(t, m.ConversationID).UnreadCount)
		_, err = Get(b.ctx, b.tx, b.org, early.ConversationID, time.Now())
		require.ErrorIs(t, err, ErrNotFound)
		th, err := ListThread(b.ctx, b.tx, b.org, m.ConversationID, ThreadParams{})
		require.NoError(t, err)
		require.Len(t, th.Items, 3)
	})

	t.Run("KeepsACuratedHolder", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		holder := b.contact(t, contacts.ContactInput{Email: ptr("holder@example.com"), TelegramChatID: ptr("6006")})
		target := b.contact(t, contacts.ContactInput{Email: ptr("other@example.com")})
		code, err := CreateStartCode(b.ctx, b.tx, b.org, &target.ID, false, time.Now())
		require.NoError(t, err)
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "6006:1", From: "6006", StartCode: code.Code})
		require.Equal(t, holder.ID, m.ContactID)
		got, err := GetStartCode(b.ctx, b.tx, b.org, &target.ID)
		require.NoError(t, err)
		require.Nil(t, got.UsedAt, "the code stays usable")
	})

	t.Run("OrgWideCode", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		code, err := CreateStartCode(b.ctx, b.tx, b.org, nil, false, time.Now())
		require.NoError(t, err)
		same, err := CreateStartCode(b.ctx, b.tx, b.org, nil, false, time.Now())
		require.NoError(t, err)
		require.Equal(t, code.Code, same.Code)
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "7007:1", From: "7007", FirstName: "Walk", LastName: "In", StartCode: code.Code})
		c, err := contacts.Get(b.ctx, b.tx, b.org, m.ContactID)
		require.NoError(t, err)
		require.Equal(t, "7007", *c.TelegramChatID)
		require.Equal(t, "Walk", c.FirstName)
		got, err := GetStartCode(b.ctx, b.tx, b.org, nil)
		require.NoError(t, err)
		require.NotNil(t, got.UsedAt)
		// It keeps working for the next person.
		m2 := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "8008:1", From: "8008", StartCode: code.Code})
		require.NotEqual(t, m.ContactID, m2.ContactID)
	})

	t.Run("AnotherOrgsCodeIsUnknown", func(t *testing.T) {
		t.Parallel()
		b := setupTx(t)
		other, _ := testfactory.Org(b.ctx, t, b.tx, nil)
		theirs, err := contacts.Create(b.ctx, b.tx, other.ID, contacts.ContactInput{Email: ptr("theirs@example.com")}, time.Now())
		require.NoError(t, err)
		code, err := CreateStartCode(b.ctx, b.tx, other.ID, &theirs.ID, false, time.Now())
		require.NoError(t, err)
		m := b.receive(t, Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "9009:1", From: "9009", StartCode: code.Code})
		c, err := contacts.Get(b.ctx, b.tx, b.org, m.ContactID)
		require.NoError(t, err)
		require.Equal(t, "9009", *c.TelegramChatID)
		got, err := contacts.Get(b.ctx, b.tx, other.ID, theirs.ID)
		require.NoError(t, err)
		require.Nil(t, got.TelegramChatID, "another org's code links nothing")
	})
}

func TestInstagramReplyWindow(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	recent := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	m := b.receive(t, Inbound{Channel: contacts.ChannelInstagram, ProviderMessageID: "mid.open", From: "1001", Username: "open_one", ReceivedAt: recent})
	open := b.conversation(t, m.ConversationID)
	require.NotNil(t, open.ReplyWindow)
	require.True(t, open.ReplyWindow.Open)
	require.True(t, open.ReplyWindow.ClosesAt.Equal(recent.Add(messaging.InstagramReplyWindow)))
	require.Equal(t, "open_one", open.Contact.Username)

	// An older message arriving late does not move the window back.
	b.receive(t, Inbound{Channel: contacts.ChannelInstagram, ProviderMessageID: "mid.older", From: "1001", ReceivedAt: recent.Add(-48 * time.Hour)})
	open = b.conversation(t, open.ID)
	require.True(t, open.ReplyWindow.Open)
	require.True(t, open.ReplyWindow.ClosesAt.Equal(recent.Add(messaging.InstagramReplyWindow)))

	old := time.Now().Add(-25 * time.Hour)
	m = b.receive(t, Inbound{Channel: contacts.ChannelInstagram, ProviderMessageID: "mid.closed", From: "1002", ReceivedAt: old})
	closed := b.conversation(t, m.ConversationID)
	require.False(t, closed.ReplyWindow.Open)
	closed, err := Get(b.ctx, b.tx, b.org, m.ConversationID, old.Add(time.Hour))
	require.NoError(t, err)
	require.True(t, closed.ReplyWindow.Open, "an hour after the message it was open")

	_, err = Get(b.ctx, b.tx, b.org, uuid.New(), time.Now())
	require.ErrorIs(t, err, ErrNotFound)
}
