package campaigns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/templates"
)

// Channel is a contact channel.
type Channel = contacts.Channel

// ErrNotFound is a campaign that does not exist in the org.
var ErrNotFound = fault.New(fault.NotFound, "campaign not found")

// Status is where a campaign is in its life.
type Status string

// The statuses.
const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusRunning   Status = "running"
	StatusPaused    Status = "paused"
	StatusCompleted Status = "completed"
	StatusCancelled Status = "cancelled"
)

// Delivery says which channels of a contact get the message.
type Delivery string

// The deliveries.
const (
	// DeliveryFirstAvailable sends once per contact, on the first channel
	// of the preference order the contact can be reached on.
	DeliveryFirstAvailable Delivery = "first_available"
	// DeliveryEveryChannel sends on every selected channel the contact can
	// be reached on.
	DeliveryEveryChannel Delivery = "every_channel"
)

// ChannelTemplate is one channel of a campaign with its template.
type ChannelTemplate struct {
	Channel    Channel   `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	TemplateID uuid.UUID `json:"template_id" doc:"An approved template of the channel."`
}

// Counters are a campaign's KPIs.
type Counters struct {
	Targeted     int `json:"targeted" doc:"Recipients written when the campaign started (one per contact and channel sent to)."`
	Queued       int `json:"queued" doc:"Recipients waiting to be sent right now (falls as they are sent, fail or are cancelled)."`
	Sent         int `json:"sent" doc:"Recipients the provider accepted."`
	Delivered    int `json:"delivered" doc:"Recipients the provider reported delivered."`
	Opened       int `json:"opened" doc:"Email recipients who opened the message (first open)."`
	Read         int `json:"read" doc:"Chat recipients who read the message."`
	Clicked      int `json:"clicked" doc:"Email recipients who clicked a link (first click)."`
	Bounced      int `json:"bounced" doc:"Email recipients whose message bounced."`
	Spam         int `json:"spam" doc:"Email recipients who reported the message as spam."`
	Failed       int `json:"failed" doc:"Recipients whose message could not be sent or delivered (refused, dropped, undelivered)."`
	Unsubscribed int `json:"unsubscribed" doc:"Recipients who unsubscribed from the message."`
	Cancelled    int `json:"cancelled" doc:"Recipients never sent because the campaign was cancelled."`
	// Kept as a counter: each recipient's price is fixed when the campaign
	// starts, and the statement that records sends adds it.
	CostMicros int64  `json:"cost_micros" doc:"Cost so far: the price of every recipient sent (sent × its unit price from the organization's price table when the campaign started), in millionths of the currency."`
	Currency   string `json:"currency" doc:"Currency of cost_micros: the price table's when the campaign started; empty before."`
}

// Campaign is a campaign as the API shows it.
type Campaign struct {
	ID                uuid.UUID         `json:"id"`
	Name              string            `json:"name"`
	Status            Status            `json:"status" enum:"draft,scheduled,running,paused,completed,cancelled"`
	Channels          []ChannelTemplate `json:"channels" doc:"In preference order."`
	Delivery          Delivery          `json:"delivery" enum:"first_available,every_channel"`
	IncludeGroupIDs   []uuid.UUID       `json:"include_group_ids"`
	ExcludeGroupIDs   []uuid.UUID       `json:"exclude_group_ids"`
	ScheduledAt       *time.Time        `json:"scheduled_at"`
	ThrottlePerSecond *int              `json:"throttle_per_second"`
	SettleSeconds     int               `json:"settle_seconds"`
	Counters          Counters          `json:"counters"`
	CreatedBy         *uuid.UUID        `json:"created_by"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
	StartedAt         *time.Time        `json:"started_at"`
	MaterializedAt    *time.Time        `json:"materialized_at" doc:"When the recipients were written; null until the start job ran."`
	PausedAt          *time.Time        `json:"paused_at"`
	LastSentAt        *time.Time        `json:"last_sent_at"`
	CompletedAt       *time.Time        `json:"completed_at"`
	CancelledAt       *time.Time        `json:"cancelled_at"`
}

func ptrUUID(u uuid.NullUUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	return &u.UUID
}

func ptrInt(i pgtype.Int4) *int {
	if !i.Valid {
		return nil
	}
	n := int(i.Int32)
	return &n
}

func campaignFrom(r dbsqlc.Campaign) Campaign {
	chs := make([]ChannelTemplate, len(r.Channels))
	for i, ch := range r.Channels {
		chs[i] = ChannelTemplate{Channel: Channel(ch), TemplateID: r.TemplateIds[i]}
	}
	return Campaign{
		ID: r.ID, Name: r.Name, Status: Status(r.Status), Channels: chs, Delivery: Delivery(r.Delivery),
		IncludeGroupIDs: r.IncludeGroupIds, ExcludeGroupIDs: r.ExcludeGroupIds, ScheduledAt: r.ScheduledAt,
		ThrottlePerSecond: ptrInt(r.ThrottlePerSecond), SettleSeconds: int(r.SettleSeconds),
		Counters: Counters{
			Targeted: int(r.TargetedCount), Queued: int(r.QueuedCount), Sent: int(r.SentCount), Delivered: int(r.DeliveredCount),
			Opened: int(r.OpenedCount), Read: int(r.ReadCount), Clicked: int(r.ClickedCount), Bounced: int(r.BouncedCount),
			Spam: int(r.SpamCount), Failed: int(r.FailedCount), Unsubscribed: int(r.UnsubscribedCount), Cancelled: int(r.CancelledCount),
			CostMicros: r.CostMicros, Currency: r.Currency,
		},
		CreatedBy: ptrUUID(r.CreatedBy), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, StartedAt: r.StartedAt,
		MaterializedAt: r.MaterializedAt, PausedAt: r.PausedAt, LastSentAt: r.LastSentAt, CompletedAt: r.CompletedAt,
		CancelledAt: r.CancelledAt,
	}
}

// Audience is who a campaign reaches: what the estimate and the start
// job both read.
type Audience struct {
	Channels        []ChannelTemplate `json:"channels" minItems:"1" maxItems:"4" doc:"The channels in preference order, each with an approved template of that channel."`
	Delivery        Delivery          `json:"delivery,omitempty" enum:"first_available,every_channel" doc:"first_available (default): each contact once, on the first channel of the order it can be reached on. every_channel: on every selected channel it can be reached on."`
	IncludeGroupIDs []uuid.UUID       `json:"include_group_ids" minItems:"1" maxItems:"50" doc:"Groups whose contacts are targeted (a contact in several counts once)."`
	ExcludeGroupIDs []uuid.UUID       `json:"exclude_group_ids,omitempty" maxItems:"50" doc:"Groups whose contacts are left out."`
}

// Input creates or edits a campaign.
type Input struct {
	Name string `json:"name" maxLength:"200"`
	Audience
	ScheduledAt       string `json:"scheduled_at,omitempty" doc:"When to start if started with schedule: an RFC 3339 time, or a local time (YYYY-MM-DDTHH:MM[:SS]) read in the organization's timezone."`
	ThrottlePerSecond *int   `json:"throttle_per_second,omitempty" minimum:"1" maximum:"100000" doc:"At most this many recipients a second; absent: as fast as the channels allow."`
	SettleSeconds     *int   `json:"settle_seconds,omitempty" minimum:"0" maximum:"604800" doc:"How long after the last send the campaign completes even without every delivery report (default 3600)."`
}

// DefaultSettle is how long after its last send a campaign waits for
// delivery reports before completing anyway.
const DefaultSettle = time.Hour

// normalized is an Input checked against the database.
type normalized struct {
	name        string
	channels    []string
	templateIDs []uuid.UUID
	delivery    string
	include     []uuid.UUID
	exclude     []uuid.UUID
	scheduledAt *time.Time
	throttle    pgtype.Int4
	settle      int32
}

// checkAudience validates an audience: channels distinct with approved
// templates of their channel, groups of the org. Errors name the fields.
func checkAudience(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, a Audience, errs *[]fault.FieldError) (chs []string, tids []uuid.UUID, delivery string) {
	add := func(loc, msg string, v any) {
		*errs = append(*errs, fault.FieldError{Location: loc, Message: msg, Value: v})
	}
	if len(a.Channels) == 0 {
		add("body.channels", "choose at least one channel", nil)
	}
	for i, ct := range a.Channels {
		loc := fmt.Sprintf("body.channels[%d]", i)
		if !ct.Channel.Valid() {
			add(loc+".channel", "must be one of email, whatsapp, telegram, instagram", ct.Channel)
			continue
		}
		if slices.Contains(chs, string(ct.Channel)) {
			add(loc+".channel", "is listed twice", ct.Channel)
			continue
		}
		t, err := templates.GetUsable(ctx, db, orgID, ct.TemplateID)
		var fe *fault.Error
		switch {
		case errors.As(err, &fe) && fe.Kind == fault.NotFound:
			add(loc+".template_id", "no such template in this organization", ct.TemplateID)
		case errors.Is(err, templates.ErrNotUsable):
			add(loc+".template_id", "the template has no approved version yet", ct.TemplateID)
		case err != nil:
			add(loc+".template_id", "could not be read", ct.TemplateID)
		case t.Channel != templates.Channel(ct.Channel):
			add(loc+".template_id", fmt.Sprintf("is a %s template; this channel is %s", t.Channel, ct.Channel), ct.TemplateID)
		}
		chs = append(chs, string(ct.Channel))
		tids = append(tids, ct.TemplateID)
	}
	delivery = string(a.Delivery)
	switch a.Delivery {
	case "":
		delivery = string(DeliveryFirstAvailable)
	case DeliveryFirstAvailable, DeliveryEveryChannel:
	default:
		add("body.delivery", "must be first_available or every_channel", a.Delivery)
	}
	if len(a.IncludeGroupIDs) == 0 {
		add("body.include_group_ids", "choose at least one group", nil)
	}
	all := append(slices.Clone(a.IncludeGroupIDs), a.ExcludeGroupIDs...)
	found, err := dbsqlc.New().CampaignGroupsExist(ctx, db, dbsqlc.CampaignGroupsExistParams{OrgID: orgID, Ids: all})
	if err != nil {
		add("body.include_group_ids", "could not be read", nil)
		return
	}
	for i, id := range a.IncludeGroupIDs {
		if !slices.Contains(found, id) {
			add(fmt.Sprintf("body.include_group_ids[%d]", i), "no such group in this organization", id)
		}
	}
	for i, id := range a.ExcludeGroupIDs {
		if !slices.Contains(found, id) {
			add(fmt.Sprintf("body.exclude_group_ids[%d]", i), "no such group in this organization", id)
		}
		if slices.Contains(a.IncludeGroupIDs, id) {
			add(fmt.Sprintf("body.exclude_group_ids[%d]", i), "is also an include group", id)
		}
	}
	return
}

func (in Input) normalize(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (normalized, error) {
	var errs []fault.FieldError
	n := normalized{name: strings.TrimSpace(in.Name), settle: int32(DefaultSettle / time.Second)}
	if n.name == "" {
		errs = append(errs, fault.FieldError{Location: "body.name", Message: "is required"})
	}
	n.channels, n.templateIDs, n.delivery = checkAudience(ctx, db, orgID, in.Audience, &errs)
	n.include, n.exclude = in.IncludeGroupIDs, in.ExcludeGroupIDs
	if n.exclude == nil {
		n.exclude = []uuid.UUID{}
	}
	if in.ScheduledAt != "" {
		at, err := ParseScheduledAt(ctx, db, orgID, in.ScheduledAt)
		if err != nil {
			errs = append(errs, fault.FieldError{Location: "body.scheduled_at", Message: err.Error(), Value: in.ScheduledAt})
		} else {
			n.scheduledAt = &at
		}
	}
	if in.ThrottlePerSecond != nil {
		n.throttle = pgtype.Int4{Int32: int32(*in.ThrottlePerSecond), Valid: true}
	}
	if in.SettleSeconds != nil {
		n.settle = int32(*in.SettleSeconds)
	}
	return n, fault.Fields(errs...)
}

// localLayouts are the local times scheduled_at accepts.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// ParseScheduledAt reads a start time: RFC 3339 as given, or a local time
// in the org's timezone (what a person picking "9:00" means).
func ParseScheduledAt(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	tz, err := dbsqlc.New().OrgTimezone(ctx, db, orgID)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the organization's timezone: %w", err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("must be an RFC 3339 time or a local time like 2025-06-01T09:00 (read in the organization's timezone)")
}

// Create writes a draft campaign.
func Create(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, actor uuid.NullUUID, in Input, now time.Time) (Campaign, error) {
	n, err := in.normalize(ctx, db, orgID)
	if err != nil {
		return Campaign{}, err
	}
	r, err := dbsqlc.New().CreateCampaign(ctx, db, dbsqlc.CreateCampaignParams{
		OrgID: orgID, Name: n.name, Channels: n.channels, TemplateIds: n.templateIDs, Delivery: n.delivery,
		IncludeGroupIds: n.include, ExcludeGroupIds: n.exclude, ScheduledAt: n.scheduledAt, ThrottlePerSecond: n.throttle,
		SettleSeconds: n.settle, CreatedBy: actor, Now: now,
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("inserting campaign: %w", err)
	}
	return campaignFrom(r), nil
}

// ErrNotDraft refuses editing or deleting a campaign that has started.
var ErrNotDraft = fault.New(fault.Conflict, "only a draft campaign can be changed or deleted")

// Update replaces a draft campaign's settings.
func Update(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, in Input, now time.Time) (Campaign, error) {
	if _, err := Get(ctx, db, orgID, id); err != nil {
		return Campaign{}, err
	}
	n, err := in.normalize(ctx, db, orgID)
	if err != nil {
		return Campaign{}, err
	}
	r, err := dbsqlc.New().UpdateDraftCampaign(ctx, db, dbsqlc.UpdateDraftCampaignParams{
		OrgID: orgID, ID: id, Name: n.name, Channels: n.channels, TemplateIds: n.templateIDs, Delivery: n.delivery,
		IncludeGroupIds: n.include, ExcludeGroupIds: n.exclude, ScheduledAt: n.scheduledAt, ThrottlePerSecond: n.throttle,
		SettleSeconds: n.settle, UpdatedBy: actor, Now: now,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, ErrNotDraft
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("updating campaign: %w", err)
	}
	return campaignFrom(r), nil
}

// Get reads one campaign of the org.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Campaign, error) {
	r, err := get(ctx, db, orgID, id)
	if err != nil {
		return Campaign{}, err
	}
	return campaignFrom(r), nil
}

func get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (dbsqlc.Campaign, error) {
	r, err := dbsqlc.New().GetCampaign(ctx, db, dbsqlc.GetCampaignParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("reading campaign: %w", err)
	}
	return r, nil
}

// Delete removes a draft campaign.
func Delete(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) error {
	if _, err := Get(ctx, db, orgID, id); err != nil {
		return err
	}
	n, err := dbsqlc.New().DeleteDraftCampaign(ctx, db, dbsqlc.DeleteDraftCampaignParams{OrgID: orgID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting campaign: %w", err)
	}
	if n == 0 {
		return ErrNotDraft
	}
	return nil
}

// ListParams filter and page the list.
type ListParams struct {
	Status string
	Cursor string
	Limit  int
}

// CampaignPage is one page of campaigns.
type CampaignPage struct {
	Items      []Campaign `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last."`
}

type cursor struct {
	T  time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == uuid.Nil {
		return nil, fault.Field("query.cursor", "is not a cursor this API gave out", s)
	}
	return &c, nil
}

// List pages the org's campaigns, newest first.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams) (CampaignPage, error) {
	c, err := decodeCursor(p.Cursor)
	if err != nil {
		return CampaignPage{}, err
	}
	if p.Limit <= 0 || p.Limit > 200 {
		p.Limit = 50
	}
	args := dbsqlc.ListCampaignsParams{OrgID: orgID, Lim: int32(p.Limit + 1)}
	if p.Status != "" {
		args.Status = &p.Status
	}
	if c != nil {
		args.BeforeAt, args.BeforeID = &c.T, uuid.NullUUID{UUID: c.ID, Valid: true}
	}
	rows, err := dbsqlc.New().ListCampaigns(ctx, db, args)
	if err != nil {
		return CampaignPage{}, fmt.Errorf("listing campaigns: %w", err)
	}
	page := CampaignPage{Items: make([]Campaign, 0, len(rows))}
	for i, r := range rows {
		if i == p.Limit {
			last := rows[i-1]
			page.NextCursor = cursor{T: last.CreatedAt, ID: last.ID}.encode()
			break
		}
		page.Items = append(page.Items, campaignFrom(r))
	}
	return page, nil
}
