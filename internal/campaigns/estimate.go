package campaigns

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Price is what one message costs, in millionths of the currency unit
// (exact sums; a WhatsApp template message is a fraction of a cent).
type Price struct {
	Currency string
	Micros   int64
}

// Pricer prices a campaign's messages: per channel, and for WhatsApp per
// template. It is the seam for the org's price table (Settings → Pricing,
// built beside campaigns): until it lands, FlatPricer's published list
// prices stand in.
type Pricer interface {
	UnitPrice(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ch Channel, templateID uuid.UUID) (Price, error)
}

// FlatPricer prices every message of a channel alike.
type FlatPricer map[Channel]Price

// DefaultPrices are list prices in USD: SendGrid's overage per email
// (about $0.0009), a WhatsApp marketing conversation (Twilio fee plus
// Meta's US rate, about $0.03), and the chat channels that charge nothing
// per message.
var DefaultPrices = FlatPricer{
	"email":     {Currency: "USD", Micros: 900},
	"whatsapp":  {Currency: "USD", Micros: 30_000},
	"telegram":  {Currency: "USD", Micros: 0},
	"instagram": {Currency: "USD", Micros: 0},
}

// UnitPrice returns the channel's price.
func (f FlatPricer) UnitPrice(_ context.Context, _ dbutil.Executor, _ uuid.UUID, ch Channel, _ uuid.UUID) (Price, error) {
	return f[ch], nil
}

// ChannelEstimate is one channel's share of an estimate.
type ChannelEstimate struct {
	Channel    Channel `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Recipients int     `json:"recipients" doc:"Messages this channel will send."`
	NoAddress  int     `json:"no_address" doc:"Contacts that got as far as this channel in the preference order and have no address on it."`
	OptedOut   int     `json:"opted_out" doc:"...that opted out of this channel (consent)."`
	Suppressed int     `json:"suppressed" doc:"...whose address is on the suppression list."`
	Currency   string  `json:"currency"`
	UnitMicros int64   `json:"unit_price_micros" doc:"Price of one message, in millionths of the currency."`
	CostMicros int64   `json:"cost_micros" doc:"recipients × unit price, in millionths of the currency."`
}

// Estimate is who a campaign reaches and what it costs, before it starts.
type Estimate struct {
	Contacts        int               `json:"contacts" doc:"Contacts in the include groups, each counted once however many groups hold it."`
	ExcludedByGroup int               `json:"excluded_by_group" doc:"Of those, contacts in an exclude group."`
	Unreachable     int               `json:"unreachable" doc:"Contacts (not excluded) reachable on none of the selected channels."`
	Recipients      int               `json:"recipients" doc:"Messages in total (one per contact and channel sent to)."`
	Channels        []ChannelEstimate `json:"channels" doc:"In preference order."`
	Currency        string            `json:"currency"`
	CostMicros      int64             `json:"cost_micros" doc:"Total cost, in millionths of the currency."`
}

// EstimateAudience counts an audience in one statement (see
// campaign_audience) and prices it.
func EstimateAudience(ctx context.Context, db dbutil.Executor, pricer Pricer, orgID uuid.UUID, a Audience) (Estimate, error) {
	var errs []fault.FieldError
	chs, tids, delivery := checkAudience(ctx, db, orgID, a, &errs)
	if err := fault.Fields(errs...); err != nil {
		return Estimate{}, err
	}
	exclude := a.ExcludeGroupIDs
	if exclude == nil {
		exclude = []uuid.UUID{}
	}
	return estimate(ctx, db, pricer, orgID, chs, tids, delivery, a.IncludeGroupIDs, exclude)
}

// EstimateCampaign estimates a saved campaign as it stands.
func EstimateCampaign(ctx context.Context, db dbutil.Executor, pricer Pricer, orgID, id uuid.UUID) (Estimate, error) {
	c, err := get(ctx, db, orgID, id)
	if err != nil {
		return Estimate{}, err
	}
	return estimate(ctx, db, pricer, orgID, c.Channels, c.TemplateIds, c.Delivery, c.IncludeGroupIds, c.ExcludeGroupIds)
}

func estimate(ctx context.Context, db dbutil.Executor, pricer Pricer, orgID uuid.UUID, chs []string, tids []uuid.UUID, delivery string, include, exclude []uuid.UUID) (Estimate, error) {
	rows, err := dbsqlc.New().EstimateAudience(ctx, db, dbsqlc.EstimateAudienceParams{
		OrgID: orgID, IncludeGroupIds: include, ExcludeGroupIds: exclude, Channels: chs,
		Every: delivery == string(DeliveryEveryChannel),
	})
	if err != nil {
		return Estimate{}, fmt.Errorf("estimating audience: %w", err)
	}
	est := Estimate{Channels: make([]ChannelEstimate, len(chs))}
	for i, ch := range chs {
		est.Channels[i].Channel = Channel(ch)
	}
	for _, r := range rows {
		if r.Channel == "" { // the grand total row
			est.Contacts, est.ExcludedByGroup, est.Unreachable = int(r.Contacts), int(r.ExcludedByGroup), int(r.Unreachable)
			continue
		}
		for i := range est.Channels {
			if string(est.Channels[i].Channel) == r.Channel {
				ce := &est.Channels[i]
				ce.Recipients, ce.NoAddress, ce.OptedOut, ce.Suppressed = int(r.Recipients), int(r.NoAddress), int(r.OptedOut), int(r.Suppressed)
			}
		}
	}
	for i := range est.Channels {
		ce := &est.Channels[i]
		p, err := pricer.UnitPrice(ctx, db, orgID, ce.Channel, tids[i])
		if err != nil {
			return Estimate{}, fmt.Errorf("pricing %s: %w", ce.Channel, err)
		}
		ce.Currency, ce.UnitMicros, ce.CostMicros = p.Currency, p.Micros, p.Micros*int64(ce.Recipients)
		est.Recipients += ce.Recipients
		est.CostMicros += ce.CostMicros
		if est.Currency == "" {
			est.Currency = p.Currency
		}
	}
	return est, nil
}
