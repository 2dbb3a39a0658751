package messaging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/templates"
)

// The API's sends are written in shared transactions. Sends arriving
// while a batch is written queue for the next one, which takes them all
// (any orgs, any channels) through a fixed number of statements: the
// orgs' facts, the contacts of raw addresses, every recipient's contact
// and suppression state, the conversations, the idempotency claims, the
// messages with their first events, and the jobs (by COPY). A busy API
// pays one commit and a dozen round trips per batch instead of per
// message; a lone send is a batch of one and waits for nobody.
const (
	maxSendBatch     = 256
	sendBatchRunners = 3
	sendBatchTimeout = 30 * time.Second
)

// sendItem is one validated send waiting for its batch.
type sendItem struct {
	orgID   uuid.UUID
	actor   Actor
	req     SendRequest
	idemKey string
	hash    []byte
}

// sendOutcome is a send's result: its message, or lostRace when another
// request holds its idempotency key (the caller replays that one).
type sendOutcome struct {
	msg      Message
	lostRace bool
}

// createMany writes a batch in one transaction. Problems of one send
// (a suppressed address, a missing variable) are that send's errors and
// the rest go ahead. Should the transaction fail as a whole — a
// constraint one send broke, a deadlock with another batch — each send is
// tried again alone, so that one cannot sink the others.
func (s *Sends) createMany(ctx context.Context, items []sendItem) ([]sendOutcome, []error) {
	outs := make([]sendOutcome, len(items))
	errs := make([]error, len(items))
	err := dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		return s.writeBatch(ctx, tx, items, outs, errs)
	})
	if err == nil {
		return outs, errs
	}
	if len(items) == 1 {
		errs[0] = err
		return outs, errs
	}
	for i := range items {
		o, e := s.createMany(ctx, items[i:i+1])
		outs[i], errs[i] = o[0], e[0]
	}
	return outs, errs
}

// draft is a send on its way through writeBatch; err set drops it.
type draft struct {
	*sendItem
	err error
	// follows is the index of an earlier send of the batch with the same
	// idempotency key, whose result this one shares; -1 for none.
	follows int
	// lostRace: another request holds the send's idempotency key.
	lostRace bool
	address  string // the normalized raw address (to)
	rcpt     recipient
	ups      []Upload
	content  rendered
	conv     uuid.NullUUID
	id       uuid.UUID
}

func (d *draft) live() bool { return d.err == nil && d.follows < 0 && !d.lostRace }

// userError keeps err when it is the sender's to fix (a field error), nil
// otherwise.
func userError(err error) error {
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Invalid {
		return err
	}
	return nil
}

// writeBatch writes the batch's sends, filling outs and errs.
func (s *Sends) writeBatch(ctx context.Context, tx pgx.Tx, items []sendItem, outs []sendOutcome, errs []error) error {
	now := s.Now()
	q := dbsqlc.New()
	ds := make([]*draft, len(items))
	firstOfKey := map[[2]string]int{}
	for i := range items {
		d := &draft{sendItem: &items[i], follows: -1, id: uuid.New()}
		if d.idemKey != "" {
			k := [2]string{d.orgID.String(), d.idemKey}
			if j, ok := firstOfKey[k]; ok {
				d.follows = j
			} else {
				firstOfKey[k] = i
			}
		}
		ds[i] = d
	}

	// Attachments are rare: read per send.
	for _, d := range ds {
		if !d.live() || len(d.req.Attachments) == 0 {
			continue
		}
		ups, err := getUploads(ctx, tx, d.orgID, d.req.Attachments, "body.attachments")
		if d.err = userError(err); d.err != nil {
			continue
		}
		if err != nil {
			return err
		}
		if why := checkMedia(d.req.Channel, ups); why != "" {
			d.err = fault.Field("body.attachments", why, nil)
		}
		d.ups = ups
	}

	orgs, err := s.orgFacts(ctx, tx, ds)
	if err != nil {
		return err
	}
	if err := s.resolveMany(ctx, tx, ds, orgs); err != nil {
		return err
	}
	if err := s.renderMany(ctx, tx, ds, orgs); err != nil {
		return err
	}
	if err := claimKeys(ctx, tx, ds, now); err != nil {
		return err
	}
	if err := touchConversations(ctx, tx, ds, now); err != nil {
		return err
	}

	p := dbsqlc.CreateOutboundMessagesParams{Now: now}
	var jobs []river.InsertManyParams
	for _, d := range ds {
		if !d.live() {
			continue
		}
		ch := d.req.Channel
		p.Ids = append(p.Ids, d.id)
		p.OrgIds = append(p.OrgIds, d.orgID)
		p.Channels = append(p.Channels, string(ch))
		p.ContactIds = append(p.ContactIds, d.rcpt.contact.ID)
		p.ConversationIds = append(p.ConversationIds, d.conv.UUID)
		p.ToAddresses = append(p.ToAddresses, d.rcpt.address)
		p.TemplateIds = append(p.TemplateIds, d.content.templateID)
		p.TemplateVersions = append(p.TemplateVersions, int32(d.content.templateVersion))
		p.Subjects = append(p.Subjects, d.content.subject)
		p.BodiesHtml = append(p.BodiesHtml, d.content.html)
		p.BodiesText = append(p.BodiesText, d.content.text)
		p.Providers = append(p.Providers, ProviderOf(ch))
		p.RequestIds = append(p.RequestIds, d.actor.RequestID)
		p.CreatedBy = append(p.CreatedBy, d.actor.UserID.UUID)
		p.ApiKeyIds = append(p.ApiKeyIds, d.actor.APIKeyID.UUID)
		jobs = append(jobs, river.InsertManyParams{
			Args:       SendArgs{OrgID: d.orgID, MessageID: d.id},
			InsertOpts: &river.InsertOpts{Queue: QueueOf(ch), MaxAttempts: SendMaxAttempts},
		})
	}
	if len(jobs) > 0 {
		rows, err := q.CreateOutboundMessages(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("inserting messages: %w", err)
		}
		byID := make(map[uuid.UUID]Message, len(rows))
		for _, r := range rows {
			byID[r.ID] = messageFrom(dbsqlc.OutboundMessage(r))
		}
		for i, d := range ds {
			if !d.live() {
				continue
			}
			if len(d.ups) > 0 {
				ids := make([]uuid.UUID, len(d.ups))
				for j, u := range d.ups {
					ids[j] = u.ID
				}
				if err := q.AttachUploads(ctx, tx, dbsqlc.AttachUploadsParams{OrgID: d.orgID, MessageID: d.id, UploadIds: ids}); err != nil {
					return fmt.Errorf("attaching uploads: %w", err)
				}
			}
			m, ok := byID[d.id]
			if !ok {
				return fmt.Errorf("message %s missing from its insert", d.id)
			}
			m.Attachments = d.ups
			outs[i].msg = m
		}
		if _, err := s.Jobs.InsertManyFastTx(ctx, tx, jobs); err != nil {
			return fmt.Errorf("enqueueing sends: %w", err)
		}
	}

	for i, d := range ds {
		switch {
		case d.follows >= 0:
			// Same key, same batch: the first send's answer, replayed —
			// or its error, since the request was the same.
			first := ds[d.follows]
			errs[i] = first.err
			outs[i].lostRace = first.err == nil
		case d.lostRace:
			outs[i].lostRace = true
		case d.err != nil:
			errs[i] = d.err
		}
	}
	return nil
}

// orgFact is what rendering needs of an org.
type orgFact struct {
	name, country string
	footer        templates.Footer
}

func (s *Sends) orgFacts(ctx context.Context, tx pgx.Tx, ds []*draft) (map[uuid.UUID]orgFact, error) {
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, d := range ds {
		if d.live() && !seen[d.orgID] {
			seen[d.orgID] = true
			ids = append(ids, d.orgID)
		}
	}
	out := make(map[uuid.UUID]orgFact, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := dbsqlc.New().SendOrgFacts(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the orgs: %w", err)
	}
	for _, r := range rows {
		f := orgFact{name: r.Name, country: r.DefaultCountry, footer: templates.DefaultFooter}
		if r.EmailFooterHtml != nil && r.EmailFooterText != nil {
			f.footer = templates.Footer{HTML: *r.EmailFooterHtml, Text: *r.EmailFooterText}
		}
		out[r.ID] = f
	}
	for _, d := range ds {
		if _, ok := out[d.orgID]; d.live() && !ok {
			d.err = contacts.ErrOrgNotFound
		}
	}
	return out, nil
}

// resolveMany finds (or creates) each send's contact and refuses
// suppressed addresses and opted-out contacts; Instagram sends must fall
// within the reply window.
func (s *Sends) resolveMany(ctx context.Context, tx pgx.Tx, ds []*draft, orgs map[uuid.UUID]orgFact) error {
	q := dbsqlc.New()
	type pair struct {
		orgs  []uuid.UUID
		addrs []string
	}
	ensure := map[Channel]*pair{}
	for _, d := range ds {
		if !d.live() || d.req.ContactID != nil {
			continue
		}
		addr, err := normalizeTo(d.req, orgs[d.orgID].country)
		if err != nil {
			d.err = err
			continue
		}
		d.address = addr
		e := ensure[d.req.Channel]
		if e == nil {
			e = &pair{}
			ensure[d.req.Channel] = e
		}
		e.orgs, e.addrs = append(e.orgs, d.orgID), append(e.addrs, addr)
	}
	for ch, e := range ensure {
		var err error
		switch ch {
		case contacts.ChannelEmail:
			err = q.EnsureEmailContacts(ctx, tx, dbsqlc.EnsureEmailContactsParams{OrgIds: e.orgs, Addresses: e.addrs})
		case contacts.ChannelWhatsApp:
			err = q.EnsureWhatsAppContacts(ctx, tx, dbsqlc.EnsureWhatsAppContactsParams{OrgIds: e.orgs, Addresses: e.addrs})
		case contacts.ChannelTelegram:
			err = q.EnsureTelegramContacts(ctx, tx, dbsqlc.EnsureTelegramContactsParams{OrgIds: e.orgs, Addresses: e.addrs})
		case contacts.ChannelInstagram:
			err = q.EnsureInstagramContacts(ctx, tx, dbsqlc.EnsureInstagramContactsParams{OrgIds: e.orgs, Addresses: e.addrs})
		}
		if err != nil {
			return fmt.Errorf("matching recipients' contacts: %w", err)
		}
	}

	var p dbsqlc.SendRecipientsParams
	for i, d := range ds {
		if !d.live() {
			continue
		}
		p.Idx = append(p.Idx, int32(i))
		p.OrgIds = append(p.OrgIds, d.orgID)
		p.Channels = append(p.Channels, string(d.req.Channel))
		var id uuid.UUID
		if d.req.ContactID != nil {
			id = *d.req.ContactID
		}
		p.ContactIds = append(p.ContactIds, id)
		p.Addresses = append(p.Addresses, d.address)
	}
	if len(p.Idx) == 0 {
		return nil
	}
	rows, err := q.SendRecipients(ctx, tx, p)
	if err != nil {
		return fmt.Errorf("reading recipients: %w", err)
	}
	found := make([]bool, len(ds))
	for _, r := range rows {
		d := ds[r.Idx]
		found[r.Idx] = true
		d.rcpt = recipient{contact: contacts.FromRow(r.Contact), address: r.Address, field: "body.to"}
		if d.req.ContactID != nil {
			d.rcpt.field = "body.contact_id"
			if r.Address == "" {
				d.err = errNoAddress(d.req.Channel, *d.req.ContactID)
				continue
			}
		}
		d.err = blocked(d.req.Channel, d.rcpt, r.Suppressed, r.OptedOut)
	}
	for i, d := range ds {
		if !d.live() || found[i] {
			continue
		}
		if d.req.ContactID != nil {
			d.err = errNoContact(*d.req.ContactID)
			continue
		}
		// Ensured above in this transaction: only a concurrent delete of
		// the contact gets here. The send alone goes again.
		return fmt.Errorf("the contact of %s vanished while sending", d.address)
	}

	now := s.Now()
	for _, d := range ds {
		if !d.live() || d.req.Channel != contacts.ChannelInstagram {
			continue
		}
		last, err := q.LastInboundAt(ctx, tx, dbsqlc.LastInboundAtParams{OrgID: d.orgID, ContactID: d.rcpt.contact.ID, Channel: string(d.req.Channel)})
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("reading the conversation: %w", err)
		}
		d.err = outsideReplyWindow(d.rcpt, last, now)
	}
	return nil
}

// renderMany renders every send, reading each template once.
func (s *Sends) renderMany(ctx context.Context, tx pgx.Tx, ds []*draft, orgs map[uuid.UUID]orgFact) error {
	type tmpl struct {
		t   *templates.Template
		err error
	}
	read := map[[2]uuid.UUID]tmpl{}
	for _, d := range ds {
		if !d.live() {
			continue
		}
		var t *templates.Template
		if id := d.req.TemplateID; id != nil {
			k := [2]uuid.UUID{d.orgID, *id}
			got, ok := read[k]
			if !ok {
				got.t, got.err = usableTemplate(ctx, tx, d.orgID, *id)
				if got.err != nil && userError(got.err) == nil {
					return got.err
				}
				read[k] = got
			}
			if got.err != nil {
				d.err = got.err
				continue
			}
			t = got.t
		}
		org := orgs[d.orgID]
		var footer *templates.Footer
		if d.req.Channel == contacts.ChannelEmail {
			footer = &org.footer
		}
		d.content, d.err = s.fill(d.req, d.rcpt, t, org.name, footer)
	}
	return nil
}

// claimKeys claims the batch's idempotency keys; a send whose key another
// request holds is not written, and replays that request's message.
func claimKeys(ctx context.Context, tx pgx.Tx, ds []*draft, now time.Time) error {
	var p dbsqlc.ClaimIdempotencyKeysParams
	for _, d := range ds {
		if d.live() && d.idemKey != "" {
			p.OrgIds = append(p.OrgIds, d.orgID)
			p.Keys = append(p.Keys, d.idemKey)
			p.RequestHashes = append(p.RequestHashes, d.hash)
			p.MessageIds = append(p.MessageIds, d.id)
		}
	}
	if len(p.Keys) == 0 {
		return nil
	}
	p.Now, p.Since = now, now.Add(-IdempotencyWindow)
	claimed, err := dbsqlc.New().ClaimIdempotencyKeys(ctx, tx, p)
	if err != nil {
		return fmt.Errorf("claiming idempotency keys: %w", err)
	}
	won := make(map[uuid.UUID]bool, len(claimed))
	for _, id := range claimed {
		won[id] = true
	}
	for _, d := range ds {
		if d.live() && d.idemKey != "" && !won[d.id] {
			d.lostRace = true
		}
	}
	return nil
}

// touchConversations opens (or moves up) the conversation of each chat
// send.
func touchConversations(ctx context.Context, tx pgx.Tx, ds []*draft, now time.Time) error {
	type key struct {
		org, contact uuid.UUID
		ch           Channel
	}
	var p dbsqlc.TouchConversationsOutboundParams
	seen := map[key]int{}
	for _, d := range ds {
		if !d.live() || d.req.Channel == contacts.ChannelEmail {
			continue
		}
		k := key{d.orgID, d.rcpt.contact.ID, d.req.Channel}
		pv := preview(d.content.text, d.ups)
		if j, ok := seen[k]; ok {
			p.Previews[j] = pv // the latest of the batch shows
			continue
		}
		seen[k] = len(p.OrgIds)
		p.OrgIds = append(p.OrgIds, k.org)
		p.ContactIds = append(p.ContactIds, k.contact)
		p.Channels = append(p.Channels, string(k.ch))
		p.Ats = append(p.Ats, now)
		p.Previews = append(p.Previews, pv)
	}
	if len(p.OrgIds) == 0 {
		return nil
	}
	rows, err := dbsqlc.New().TouchConversationsOutbound(ctx, tx, p)
	if err != nil {
		return fmt.Errorf("opening conversations: %w", err)
	}
	ids := make(map[key]uuid.UUID, len(rows))
	for _, r := range rows {
		ids[key{r.OrgID, r.ContactID, Channel(r.Channel)}] = r.ID
	}
	for _, d := range ds {
		if d.live() && d.req.Channel != contacts.ChannelEmail {
			d.conv = uuid.NullUUID{UUID: ids[key{d.orgID, d.rcpt.contact.ID, d.req.Channel}], Valid: true}
		}
	}
	return nil
}
