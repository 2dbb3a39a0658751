package suppression

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Sources of opt-outs.
const (
	SourceUnsubscribePage = "unsubscribe_page"
	SourceOneClick        = "one_click"
	SourceAdmin           = "admin"
)

// OptOutResult says what an opt-out changed.
type OptOutResult struct {
	// Contact is the contact after the change.
	Contact dbsqlc.Contact
	// Changed is false when the contact was opted out and suppressed already.
	Changed bool
}

// OptOut records that a contact wants no more messages on a channel: the
// contact's consent becomes opted_out, its address there is suppressed
// (reason unsubscribed) and the change is recorded, in one transaction.
// Repeating it changes nothing.
func OptOut(ctx context.Context, db dbutil.Executor, orgID, contactID uuid.UUID, ch contacts.Channel, source, reason string, actor Actor, now time.Time) (OptOutResult, error) {
	var res OptOutResult
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		c, err := q.LockContact(ctx, tx, dbsqlc.LockContactParams{OrgID: orgID, ID: contactID})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrContactNotFound
		}
		if err != nil {
			return fmt.Errorf("reading contact: %w", err)
		}
		res.Contact = c
		addr := contacts.Address(c, ch)
		if addr != nil {
			_, err := q.CreateSuppression(ctx, tx, dbsqlc.CreateSuppressionParams{
				OrgID: orgID, Channel: string(ch), Value: *addr, Reason: ReasonUnsubscribed, Source: source,
				Note: reason, ContactID: uuid.NullUUID{UUID: c.ID, Valid: true}, CreatedBy: actor.UserID,
			})
			switch {
			case err == nil:
				res.Changed = true
			case !errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("suppressing: %w", err)
			}
		}
		if consentStatus(c, ch) != contacts.ConsentOptedOut {
			c, err = q.SetContactConsent(ctx, tx, dbsqlc.SetContactConsentParams{
				OrgID: orgID, ID: c.ID, Channel: string(ch), Status: contacts.ConsentOptedOut, Source: source, At: now.UTC(),
			})
			if err != nil {
				return fmt.Errorf("recording consent: %w", err)
			}
			res.Contact, res.Changed = c, true
		}
		if !res.Changed {
			return nil
		}
		return recordEvent(ctx, tx, orgID, uuid.NullUUID{UUID: c.ID, Valid: true}, string(ch), deref(addr), actionOptedOut, reason, source, actor)
	})
	return res, err
}

// Resubscribe opts a contact back in on a channel at an admin's request:
// the suppression of its address there is lifted, its consent becomes
// opted_in (source admin), and the change is recorded with the reason and
// who made it. It is never silent: a reason is required, and a contact that
// was not unsubscribed is a conflict.
func Resubscribe(ctx context.Context, db dbutil.Executor, orgID, contactID uuid.UUID, ch contacts.Channel, reason string, actor Actor, now time.Time) (contacts.Contact, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return contacts.Contact{}, fault.Field("body.reason", "is required: say why the contact may be messaged again", nil)
	}
	var out dbsqlc.Contact
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		c, err := q.LockContact(ctx, tx, dbsqlc.LockContactParams{OrgID: orgID, ID: contactID})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrContactNotFound
		}
		if err != nil {
			return fmt.Errorf("reading contact: %w", err)
		}
		addr := contacts.Address(c, ch)
		lifted := false
		if addr != nil {
			_, err := q.DeleteSuppressionByValue(ctx, tx, dbsqlc.DeleteSuppressionByValueParams{OrgID: orgID, Channel: string(ch), Value: *addr})
			switch {
			case err == nil:
				lifted = true
			case !errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("lifting the suppression: %w", err)
			}
		}
		if !lifted && consentStatus(c, ch) != contacts.ConsentOptedOut {
			return ErrNotUnsubscribed
		}
		out, err = q.SetContactConsent(ctx, tx, dbsqlc.SetContactConsentParams{
			OrgID: orgID, ID: c.ID, Channel: string(ch), Status: contacts.ConsentOptedIn, Source: SourceAdmin, At: now.UTC(),
		})
		if err != nil {
			return fmt.Errorf("recording consent: %w", err)
		}
		return recordEvent(ctx, tx, orgID, uuid.NullUUID{UUID: c.ID, Valid: true}, string(ch), deref(addr), actionResubscribed, reason, SourceAdmin, actor)
	})
	if err != nil {
		return contacts.Contact{}, err
	}
	return contacts.FromRow(out), nil
}

func consentStatus(c dbsqlc.Contact, ch contacts.Channel) string {
	var consent map[string]contacts.Consent
	_ = json.Unmarshal(c.Consent, &consent)
	return consent[string(ch)].Status
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ConsentEvent is one change of a contact's consent or suppression.
type ConsentEvent struct {
	ID            uuid.UUID  `json:"id"`
	Channel       string     `json:"channel"`
	Value         string     `json:"value" doc:"The address at the time."`
	Action        string     `json:"action" enum:"opted_in,opted_out,resubscribed,suppressed,unsuppressed"`
	Reason        string     `json:"reason"`
	Source        string     `json:"source"`
	ActorUserID   *uuid.UUID `json:"actor_user_id"`
	ActorAPIKeyID *uuid.UUID `json:"actor_api_key_id"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Events returns a contact's consent history, newest first.
func Events(ctx context.Context, db dbutil.Executor, orgID, contactID uuid.UUID) ([]ConsentEvent, error) {
	q := dbsqlc.New()
	if _, err := q.GetContact(ctx, db, dbsqlc.GetContactParams{OrgID: orgID, ID: contactID}); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrContactNotFound
		}
		return nil, fmt.Errorf("reading contact: %w", err)
	}
	rows, err := q.ListConsentEvents(ctx, db, dbsqlc.ListConsentEventsParams{OrgID: orgID, ContactID: uuid.NullUUID{UUID: contactID, Valid: true}})
	if err != nil {
		return nil, fmt.Errorf("listing consent events: %w", err)
	}
	out := make([]ConsentEvent, len(rows))
	for i, r := range rows {
		out[i] = ConsentEvent{ID: r.ID, Channel: r.Channel, Value: r.Value, Action: r.Action, Reason: r.Reason, Source: r.Source, CreatedAt: r.CreatedAt}
		if r.ActorUserID.Valid {
			out[i].ActorUserID = &r.ActorUserID.UUID
		}
		if r.ActorApiKeyID.Valid {
			out[i].ActorAPIKeyID = &r.ActorApiKeyID.UUID
		}
	}
	return out, nil
}
