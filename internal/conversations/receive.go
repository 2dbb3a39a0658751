package conversations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/storage"
)

// ErrInvalidInbound is returned for an inbound message that can never be
// stored (unknown channel, no provider message id, a sender id that is not
// an address of the channel). Retrying it is pointless.
var ErrInvalidInbound = errors.New("invalid inbound message")

// ErrMediaFetch wraps a transient failure to fetch or store an inbound
// message's media: nothing was stored, and the caller should retry.
var ErrMediaFetch = errors.New("fetching inbound media")

// Media is a file attached to an inbound message.
type Media struct {
	// Filename and ContentType are what the provider says; the type is
	// sniffed again from the bytes when stored.
	Filename, ContentType string
	// Open fetches the bytes (a provider call: it runs in a worker, never
	// in the API). A *providers.Error of kind permanent means the file is
	// gone for good; any other error is taken for transient.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Inbound is one message a contact sent, as a webhook parser reads it.
type Inbound struct {
	Channel contacts.Channel // whatsapp, telegram, instagram
	// ProviderMessageID is unique per (org, channel): Twilio MessageSid,
	// Telegram "<chat_id>:<message_id>", Instagram mid.
	ProviderMessageID string
	// From is the sender's id on the channel: E.164, Telegram chat id, IGSID.
	From string
	// FirstName, LastName and Username are what the provider tells
	// (WhatsApp ProfileName goes in FirstName).
	FirstName, LastName, Username string
	Text                          string
	ReceivedAt                    time.Time
	Media                         []Media
	// StartCode is the code of a Telegram "/start <code>" message.
	StartCode string
	// LastAttempt is set by a caller that will not retry (the webhook
	// job's final attempt): media that still cannot be fetched is then
	// recorded as unavailable instead of failing the message, so the text
	// is never lost.
	LastAttempt bool
}

// MediaItem is a file of a message as the thread shows it.
type MediaItem struct {
	UploadID    *uuid.UUID `json:"upload_id,omitempty" doc:"Download with GET /api/v1/uploads/{id}/content; absent when the file could not be fetched."`
	ContentType string     `json:"content_type"`
	Filename    string     `json:"filename"`
	Size        int64      `json:"size"`
	Unavailable bool       `json:"unavailable,omitempty" doc:"The provider would not give the file; only its name and type are known."`
	Error       string     `json:"error,omitempty" doc:"Why the file is unavailable."`
}

// InboundMessage is a stored message from a contact.
type InboundMessage struct {
	ID                uuid.UUID        `json:"id"`
	ConversationID    uuid.UUID        `json:"conversation_id"`
	ContactID         uuid.UUID        `json:"contact_id"`
	Channel           contacts.Channel `json:"channel"`
	ProviderMessageID string           `json:"provider_message_id"`
	From              string           `json:"from"`
	Text              string           `json:"text"`
	Media             []MediaItem      `json:"media"`
	ReceivedAt        time.Time        `json:"received_at"`
	CreatedAt         time.Time        `json:"created_at"`
}

func inboundFrom(r dbsqlc.InboundMessage) InboundMessage {
	return InboundMessage{
		ID: r.ID, ConversationID: r.ConversationID, ContactID: r.ContactID, Channel: contacts.Channel(r.Channel),
		ProviderMessageID: r.ProviderMessageID, From: r.FromAddress, Text: r.Body, Media: decodeMedia(r.Media),
		ReceivedAt: r.ReceivedAt, CreatedAt: r.CreatedAt,
	}
}

func decodeMedia(raw []byte) []MediaItem {
	out := []MediaItem{}
	_ = json.Unmarshal(raw, &out)
	return out
}

// Service stores inbound messages.
type Service struct {
	DB      dbutil.Executor
	Storage storage.Storage
	Now     func() time.Time
}

// Receive stores one inbound message idempotently: a replay of a provider
// message id already stored returns the stored message and created=false,
// and changes nothing. Media is saved first (origin "inbound"); then, in
// one transaction, the contact is matched by its channel id or created
// (Telegram: a start code links the chat to the code's contact), the
// conversation is opened or moved (unread + 1, last_inbound_at, preview),
// the message is inserted, and listeners are notified.
//
// Errors: ErrInvalidInbound for a message that can never be stored;
// ErrMediaFetch (wrapped) when media could not be fetched for a transient
// reason — retry, or set LastAttempt to store the message with the media
// marked unavailable. A media file the provider refuses for good (a
// permanent *providers.Error, an empty or oversized file) is recorded as
// unavailable at once.
func (s *Service) Receive(ctx context.Context, orgID uuid.UUID, in Inbound) (msg InboundMessage, created bool, err error) {
	from, err := in.validate()
	if err != nil {
		return InboundMessage{}, false, err
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = s.Now()
	}
	q := dbsqlc.New()
	if m, ok, err := s.stored(ctx, orgID, in); err != nil || ok {
		return m, false, err
	}

	media, saved, err := s.saveMedia(ctx, orgID, in)
	if err != nil {
		return InboundMessage{}, false, err
	}
	mediaJSON, _ := json.Marshal(media)

	var row dbsqlc.InboundMessage
	err = dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		contact, err := s.matchContact(ctx, tx, orgID, in, from)
		if err != nil {
			return err
		}
		text := in.Text
		if in.StartCode != "" {
			// The code has done its work; it stays out of the thread.
			text = "/start"
		}
		conv, err := q.TouchConversationInbound(ctx, tx, dbsqlc.TouchConversationInboundParams{
			OrgID: orgID, ContactID: contact.ID, Channel: string(in.Channel), At: in.ReceivedAt, Preview: preview(text, media),
		})
		if err != nil {
			return fmt.Errorf("opening the conversation: %w", err)
		}
		if len(saved) > 0 {
			// The files are the message's now: no longer orphans in waiting.
			n, err := q.ClaimPendingInboundMedia(ctx, tx, dbsqlc.ClaimPendingInboundMediaParams{OrgID: orgID, StorageKeys: savedKeys(saved)})
			if err != nil {
				return fmt.Errorf("claiming inbound media: %w", err)
			}
			if n != int64(len(saved)) {
				return fmt.Errorf("%w: the cleanup removed a file saved %s ago", ErrMediaFetch, OrphanMediaAge)
			}
		}
		row, err = q.InsertInboundMessage(ctx, tx, dbsqlc.InsertInboundMessageParams{
			OrgID: orgID, ConversationID: conv.ID, ContactID: contact.ID, Channel: string(in.Channel),
			ProviderMessageID: in.ProviderMessageID, FromAddress: from, Body: text, Media: mediaJSON, ReceivedAt: in.ReceivedAt,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return errStoredConcurrently
		}
		if err != nil {
			return fmt.Errorf("inserting inbound message: %w", err)
		}
		return notify(ctx, tx, orgID, conv.ID, KindInbound)
	})
	if err != nil {
		s.dropUploads(ctx, orgID, saved)
		if errors.Is(err, errStoredConcurrently) {
			m, ok, err := s.stored(ctx, orgID, in)
			if err == nil && !ok {
				err = errors.New("inbound message claimed but not readable")
			}
			return m, false, err
		}
		return InboundMessage{}, false, err
	}
	return inboundFrom(row), true, nil
}

var errStoredConcurrently = errors.New("inbound message stored concurrently")

// stored returns the message already stored under in's provider id.
func (s *Service) stored(ctx context.Context, orgID uuid.UUID, in Inbound) (InboundMessage, bool, error) {
	r, err := dbsqlc.New().GetInboundByProviderID(ctx, s.DB, dbsqlc.GetInboundByProviderIDParams{
		OrgID: orgID, Channel: string(in.Channel), ProviderMessageID: in.ProviderMessageID,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return InboundMessage{}, false, nil
	}
	if err != nil {
		return InboundMessage{}, false, fmt.Errorf("reading inbound message: %w", err)
	}
	return inboundFrom(r), true, nil
}

var startCodePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// validate checks what needs no database and returns the sender's
// normalized address.
func (in *Inbound) validate() (string, error) {
	bad := func(format string, a ...any) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrInvalidInbound, fmt.Sprintf(format, a...))
	}
	in.ProviderMessageID = strings.TrimSpace(in.ProviderMessageID)
	if in.ProviderMessageID == "" {
		return bad("no provider message id")
	}
	var from string
	var err error
	switch in.Channel {
	case contacts.ChannelWhatsApp:
		from, err = normalizeWhatsApp(in.From)
	case contacts.ChannelTelegram:
		from, err = contacts.NormalizeTelegramChatID(in.From)
	case contacts.ChannelInstagram:
		from, err = contacts.NormalizeInstagramID(in.From)
	default:
		return bad("channel %q has no conversations", in.Channel)
	}
	if err != nil {
		return bad("sender %q: %v", in.From, err)
	}
	in.FirstName, in.LastName = clip(in.FirstName, 200), clip(in.LastName, 200)
	in.Username = clip(strings.TrimPrefix(strings.TrimSpace(in.Username), "@"), 64)
	in.StartCode = strings.TrimSpace(in.StartCode)
	if in.Channel != contacts.ChannelTelegram || !startCodePattern.MatchString(in.StartCode) {
		// Not a code we could have made: the message is stored as it is.
		in.StartCode = ""
	}
	return from, nil
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// normalizeWhatsApp reads a sender's number. Numbers arrive in E.164, so
// no default country is needed. One the numbering plan does not know (a
// new range, a test number) is still taken as it is when it has the E.164
// shape: the person did write, and their message must not be lost.
func normalizeWhatsApp(raw string) (string, error) {
	n, err := contacts.NormalizePhone(raw, "")
	if err == nil {
		return n, nil
	}
	s := strings.TrimPrefix(strings.TrimSpace(raw), "whatsapp:")
	s = strings.Join(strings.Fields(s), "")
	if e164.MatchString(s) {
		return s, nil
	}
	return "", err
}

// clip trims s and cuts it to n runes.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	return s
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// savedUpload is a file saved for a message not stored yet.
type savedUpload struct {
	id  uuid.UUID
	key string
}

func savedKeys(saved []savedUpload) []string {
	keys := make([]string, len(saved))
	for i, u := range saved {
		keys[i] = u.key
	}
	return keys
}

// saveMedia fetches and stores the message's files, outside any
// transaction. It returns the media as recorded and the uploads made (to
// drop if the message is not stored after all).
func (s *Service) saveMedia(ctx context.Context, orgID uuid.UUID, in Inbound) ([]MediaItem, []savedUpload, error) {
	items := make([]MediaItem, 0, len(in.Media))
	var saved []savedUpload
	for _, m := range in.Media {
		item := MediaItem{Filename: m.Filename, ContentType: m.ContentType}
		if item.Filename == "" {
			item.Filename = "file"
		}
		u, key, err := s.saveOne(ctx, orgID, in, m)
		switch {
		case err == nil:
			id := u.ID
			item = MediaItem{UploadID: &id, ContentType: u.ContentType, Filename: u.Filename, Size: u.Size}
			saved = append(saved, savedUpload{id: u.ID, key: key})
		case ctx.Err() != nil:
			s.dropUploads(ctx, orgID, saved)
			return nil, nil, fmt.Errorf("%w: %w", ErrMediaFetch, ctx.Err())
		case isTransient(err) && !in.LastAttempt:
			s.dropUploads(ctx, orgID, saved)
			return nil, nil, fmt.Errorf("%w %q: %w", ErrMediaFetch, item.Filename, err)
		default:
			zerolog.Ctx(ctx).Warn().Err(err).Str("provider_message_id", in.ProviderMessageID).
				Str("filename", item.Filename).Msg("inbound media unavailable; storing the message without it")
			item.Unavailable, item.Error = true, mediaReason(err)
		}
		items = append(items, item)
	}
	return items, saved, nil
}

// saveOne fetches and stores one file, returning its upload and storage
// key. The key is recorded as pending (committed) before the file is
// written, and stays so until the message's transaction claims it: a
// crash in between leaves a pending row that MediaCleanupWorker finds.
func (s *Service) saveOne(ctx context.Context, orgID uuid.UUID, in Inbound, m Media) (messaging.Upload, string, error) {
	if m.Open == nil {
		return messaging.Upload{}, "", &providers.Error{Operation: "get_file", Kind: providers.KindPermanent, Reason: "the provider gave no way to fetch the file"}
	}
	rc, err := m.Open(ctx)
	if err != nil {
		return messaging.Upload{}, "", err
	}
	defer rc.Close()
	q := dbsqlc.New()
	key := storage.NewKey(orgID.String())
	if err := q.AddPendingInboundMedia(ctx, s.DB, dbsqlc.AddPendingInboundMediaParams{
		StorageKey: key, OrgID: orgID, Channel: string(in.Channel), ProviderMessageID: in.ProviderMessageID, Now: s.Now(),
	}); err != nil {
		return messaging.Upload{}, "", fmt.Errorf("recording pending inbound media: %w", err)
	}
	r := &errReader{r: rc}
	u, err := messaging.SaveUploadAt(ctx, s.DB, s.Storage, orgID, uuid.NullUUID{}, "inbound", key, m.Filename, r)
	if err != nil {
		// SaveUploadAt removed the file: nothing is pending.
		s.releasePending(ctx, orgID, []string{key})
		if r.err != nil {
			// The download broke off: SaveUpload reports an unreadable file,
			// but what happened is the provider's (or the network's) failure.
			return messaging.Upload{}, "", r.err
		}
		return messaging.Upload{}, "", err
	}
	return u, key, nil
}

// releasePending forgets pending media whose files are gone. Failing
// here leaves work for MediaCleanupWorker, which finds nothing to delete.
func (s *Service) releasePending(ctx context.Context, orgID uuid.UUID, keys []string) {
	if len(keys) == 0 {
		return
	}
	orgIDs := make([]uuid.UUID, len(keys))
	for i := range orgIDs {
		orgIDs[i] = orgID
	}
	err := dbsqlc.New().DeletePendingInboundMedia(context.WithoutCancel(ctx), s.DB, dbsqlc.DeletePendingInboundMediaParams{OrgIds: orgIDs, StorageKeys: keys})
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("forgetting pending inbound media")
	}
}

// errReader remembers the first read error other than EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// isTransient tells a failure worth retrying from one that will not go
// away: a provider's permanent answer, or a file SaveUpload refuses (empty,
// larger than any channel takes). Anything unknown (network, storage) is
// retried.
func isTransient(err error) bool {
	if pe, ok := providers.AsError(err); ok {
		return pe.Kind != providers.KindPermanent
	}
	if _, ok := fault.As(err); ok {
		return false
	}
	return true
}

func mediaReason(err error) string {
	if pe, ok := providers.AsError(err); ok && pe.Reason != "" {
		return pe.Reason
	}
	if fe, ok := fault.As(err); ok {
		if len(fe.Fields) > 0 {
			return "the file " + fe.Fields[0].Message
		}
		return fe.Message
	}
	return "the file could not be fetched"
}

// dropUploads removes uploads made for a message that was not stored.
// A file that can't be removed now stays pending, for MediaCleanupWorker.
func (s *Service) dropUploads(ctx context.Context, orgID uuid.UUID, saved []savedUpload) {
	ctx = context.WithoutCancel(ctx)
	var gone []string
	for _, u := range saved {
		if err := messaging.DeleteUpload(ctx, s.DB, s.Storage, orgID, u.id); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Str("upload_id", u.id.String()).Msg("dropping an unused inbound upload")
			continue
		}
		gone = append(gone, u.key)
	}
	s.releasePending(ctx, orgID, gone)
}

// preview is the conversation list's one line for a message.
func preview(text string, media []MediaItem) string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" && len(media) > 0 {
		return "📎 " + media[0].Filename
	}
	if utf8.RuneCountInString(text) > 140 {
		return string([]rune(text)[:139]) + "…"
	}
	return text
}

// matchContact finds the sender's contact by its channel id, or creates
// it; a Telegram start code may name the contact instead.
func (s *Service) matchContact(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, in Inbound, from string) (dbsqlc.Contact, error) {
	q := dbsqlc.New()
	var c dbsqlc.Contact
	var err error
	switch in.Channel {
	case contacts.ChannelWhatsApp:
		c, err = q.UpsertWhatsAppSender(ctx, tx, dbsqlc.UpsertWhatsAppSenderParams{
			OrgID: orgID, Address: &from, FirstName: in.FirstName, LastName: in.LastName,
		})
	case contacts.ChannelTelegram:
		if in.StartCode != "" {
			linked, ok, lerr := s.useStartCode(ctx, tx, orgID, in, from)
			if lerr != nil || ok {
				return linked, lerr
			}
		}
		c, err = q.UpsertTelegramSender(ctx, tx, dbsqlc.UpsertTelegramSenderParams{
			OrgID: orgID, Address: &from, Username: nonEmpty(in.Username), FirstName: in.FirstName, LastName: in.LastName,
		})
	case contacts.ChannelInstagram:
		c, err = q.UpsertInstagramSender(ctx, tx, dbsqlc.UpsertInstagramSenderParams{
			OrgID: orgID, Address: &from, Username: nonEmpty(in.Username), FirstName: in.FirstName, LastName: in.LastName,
		})
	}
	if err != nil {
		return dbsqlc.Contact{}, fmt.Errorf("matching the sender's contact: %w", err)
	}
	return c, nil
}
