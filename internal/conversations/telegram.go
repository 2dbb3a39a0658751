package conversations

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ErrStartCodeNotFound answers a contact (or org) without a start code.
var ErrStartCodeNotFound = fault.New(fault.NotFound, "no Telegram start code yet: create one")

// StartCode is a Telegram onboarding code: the person opens
// https://t.me/<bot>?start=<code>, presses Start, and the bot's chat with
// them is linked to the contact the code was made for (or, for an org-wide
// code, to the contact matched or created by their chat).
type StartCode struct {
	Code        string     `json:"code"`
	ContactID   *uuid.UUID `json:"contact_id" doc:"The contact the code links; null for an org-wide code."`
	Link        *string    `json:"link" doc:"The deep link to share; null while the bot's username is unknown (connect and test the Telegram channel)."`
	BotUsername *string    `json:"bot_username"`
	CreatedAt   time.Time  `json:"created_at"`
	UsedAt      *time.Time `json:"used_at" doc:"When the code linked a chat. A contact's code links once; an org-wide code keeps working and shows its last use."`
}

func startCodeFrom(r dbsqlc.TelegramStartCode, botUsername string) StartCode {
	sc := StartCode{Code: r.Code, CreatedAt: r.CreatedAt, UsedAt: r.UsedAt}
	if r.ContactID.Valid {
		id := r.ContactID.UUID
		sc.ContactID = &id
	}
	if botUsername != "" {
		link := "https://t.me/" + url.PathEscape(botUsername) + "?start=" + url.QueryEscape(r.Code)
		sc.Link, sc.BotUsername = &link, &botUsername
	}
	return sc
}

// newStartCode is 128 random bits in Telegram's start-parameter alphabet.
func newStartCode() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateStartCode returns a usable code: for a contact, its code if not
// used yet, else a new one replacing it; for the org (contactID nil), the
// newest org-wide code, or a new one. rotate always makes a new one (the
// old link stops working).
func CreateStartCode(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, contactID *uuid.UUID, rotate bool, now time.Time) (dbsqlc.TelegramStartCode, error) {
	q := dbsqlc.New()
	if contactID == nil {
		if !rotate {
			r, err := q.GetOrgStartCode(ctx, db, orgID)
			if err == nil {
				return r, nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return r, fmt.Errorf("reading start code: %w", err)
			}
		}
		r, err := q.CreateOrgStartCode(ctx, db, dbsqlc.CreateOrgStartCodeParams{Code: newStartCode(), OrgID: orgID, Now: now})
		if err != nil {
			return r, fmt.Errorf("creating start code: %w", err)
		}
		return r, nil
	}
	if _, err := contacts.Get(ctx, db, orgID, *contactID); err != nil {
		if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
			return dbsqlc.TelegramStartCode{}, fault.Field("body.contact_id", "no such contact in this organization", *contactID)
		}
		return dbsqlc.TelegramStartCode{}, err
	}
	cid := uuid.NullUUID{UUID: *contactID, Valid: true}
	if !rotate {
		r, err := q.GetContactStartCode(ctx, db, dbsqlc.GetContactStartCodeParams{OrgID: orgID, ContactID: cid})
		if err == nil && r.UsedAt == nil {
			return r, nil
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return r, fmt.Errorf("reading start code: %w", err)
		}
	}
	r, err := q.PutContactStartCode(ctx, db, dbsqlc.PutContactStartCodeParams{Code: newStartCode(), OrgID: orgID, ContactID: cid, Now: now})
	if err != nil {
		return r, fmt.Errorf("creating start code: %w", err)
	}
	return r, nil
}

// GetStartCode reads a contact's code, or the org's newest org-wide one
// (contactID nil).
func GetStartCode(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, contactID *uuid.UUID) (dbsqlc.TelegramStartCode, error) {
	q := dbsqlc.New()
	var r dbsqlc.TelegramStartCode
	var err error
	if contactID == nil {
		r, err = q.GetOrgStartCode(ctx, db, orgID)
	} else {
		if _, cerr := contacts.Get(ctx, db, orgID, *contactID); cerr != nil {
			return r, cerr
		}
		r, err = q.GetContactStartCode(ctx, db, dbsqlc.GetContactStartCodeParams{OrgID: orgID, ContactID: uuid.NullUUID{UUID: *contactID, Valid: true}})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrStartCodeNotFound
	}
	if err != nil {
		return r, fmt.Errorf("reading start code: %w", err)
	}
	return r, nil
}

// useStartCode applies a "/start <code>" from chat. linked is true when the
// code named the contact; false sends the caller down the usual match by
// chat id.
//
// The rules:
//   - An unknown code, or an org-wide code (recorded as used), changes
//     nothing: the chat's contact is matched or created as usual.
//   - A contact's code links once. Used again from the chat it linked, it
//     changes nothing; from another chat, it is ignored, so that a
//     forwarded link cannot take over the contact's conversation.
//   - When no contact holds the chat yet, the code's contact gets it
//     (replacing a chat it had before).
//   - When another contact holds the chat and it is known only by that
//     chat (the person wrote to the bot before using the link, which
//     created it), it is merged into the code's contact: its messages,
//     conversation, consent, tags, attributes, suppressions and group
//     memberships move over, and it is deleted.
//   - When another contact holds the chat and has other addresses too
//     (someone curated it), it is kept: the message joins its
//     conversation, and the code stays unused.
func (s *Service) useStartCode(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, in Inbound, chat string) (dbsqlc.Contact, bool, error) {
	q := dbsqlc.New()
	logger := zerolog.Ctx(ctx)
	code, err := q.LockStartCode(ctx, tx, dbsqlc.LockStartCodeParams{OrgID: orgID, Code: in.StartCode})
	if errors.Is(err, pgx.ErrNoRows) {
		return dbsqlc.Contact{}, false, nil
	}
	if err != nil {
		return dbsqlc.Contact{}, false, fmt.Errorf("reading start code: %w", err)
	}
	markUsed := func() error {
		if err := q.MarkStartCodeUsed(ctx, tx, dbsqlc.MarkStartCodeUsedParams{OrgID: orgID, Code: code.Code, Now: s.Now()}); err != nil {
			return fmt.Errorf("marking start code used: %w", err)
		}
		return nil
	}
	if !code.ContactID.Valid {
		return dbsqlc.Contact{}, false, markUsed()
	}
	target := code.ContactID.UUID
	holder, err := q.GetContactByTelegramChat(ctx, tx, dbsqlc.GetContactByTelegramChatParams{OrgID: orgID, ChatID: chat})
	hasHolder := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return dbsqlc.Contact{}, false, fmt.Errorf("reading the chat's contact: %w", err)
	}
	switch {
	case hasHolder && holder.ID == target:
		// Linked already (a second Start): fill what the contact lacks.
	case code.UsedAt != nil:
		logger.Info().Str("chat_id", chat).Msg("a used Telegram start code came from another chat; ignored")
		return dbsqlc.Contact{}, false, nil
	case hasHolder && !telegramOnly(holder):
		logger.Warn().Str("chat_id", chat).Str("holder_id", holder.ID.String()).Str("contact_id", target.String()).
			Msg("Telegram start code: the chat belongs to another contact with other addresses; kept there")
		return dbsqlc.Contact{}, false, nil
	case hasHolder:
		if err := mergeInto(ctx, tx, orgID, holder.ID, target); err != nil {
			return dbsqlc.Contact{}, false, err
		}
	}
	c, err := q.LinkTelegramChat(ctx, tx, dbsqlc.LinkTelegramChatParams{
		OrgID: orgID, ID: target, ChatID: chat, Username: nonEmpty(in.Username), FirstName: in.FirstName, LastName: in.LastName,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return dbsqlc.Contact{}, false, nil
	}
	if err != nil {
		return dbsqlc.Contact{}, false, fmt.Errorf("linking the Telegram chat: %w", err)
	}
	if code.UsedAt == nil {
		if err := markUsed(); err != nil {
			return dbsqlc.Contact{}, false, err
		}
	}
	return c, true, nil
}

// telegramOnly reports whether a contact has no address but its Telegram
// chat.
func telegramOnly(c dbsqlc.Contact) bool {
	return c.Email == nil && c.Phone == nil && c.Whatsapp == nil && c.InstagramID == nil
}

// mergeInto folds contact from (Telegram-only) into contact to.
func mergeInto(ctx context.Context, tx pgx.Tx, orgID, from, to uuid.UUID) error {
	q := dbsqlc.New()
	if err := q.MergeTelegramOnlyContact(ctx, tx, dbsqlc.MergeTelegramOnlyContactParams{OrgID: orgID, FromID: from, ToID: to}); err != nil {
		return fmt.Errorf("merging contacts: %w", err)
	}
	ch := string(contacts.ChannelTelegram)
	src, err := q.GetContactConversation(ctx, tx, dbsqlc.GetContactConversationParams{OrgID: orgID, ContactID: from, Channel: ch})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("reading conversation: %w", err)
	default:
		dst, err := q.GetContactConversation(ctx, tx, dbsqlc.GetContactConversationParams{OrgID: orgID, ContactID: to, Channel: ch})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if err := q.MoveConversationToContact(ctx, tx, dbsqlc.MoveConversationToContactParams{OrgID: orgID, ID: src.ID, ToContactID: to}); err != nil {
				return fmt.Errorf("moving conversation: %w", err)
			}
		case err != nil:
			return fmt.Errorf("reading conversation: %w", err)
		default:
			if err := q.MoveThread(ctx, tx, dbsqlc.MoveThreadParams{OrgID: orgID, FromID: src.ID, IntoID: dst.ID}); err != nil {
				return fmt.Errorf("moving messages: %w", err)
			}
			if err := q.FoldConversation(ctx, tx, dbsqlc.FoldConversationParams{OrgID: orgID, FromID: src.ID, IntoID: dst.ID}); err != nil {
				return fmt.Errorf("folding conversations: %w", err)
			}
		}
	}
	if err := q.DeleteContactRow(ctx, tx, dbsqlc.DeleteContactRowParams{OrgID: orgID, ID: from}); err != nil {
		return fmt.Errorf("deleting merged contact: %w", err)
	}
	return nil
}
