package campaigns

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/pricing"
)

// WhatsAppCategory is the template category WhatsApp campaign messages
// are priced in. Templates carry no category (Meta's marketing, utility,
// authentication) yet; a campaign to a group is marketing in Meta's terms,
// and that is the category pricing bills it in.
const WhatsAppCategory = "marketing"

// priceCountry is the country a WhatsApp number is priced in, from an
// address of its price key's group (campaign_price_key: the calling code
// and the next digit, or +1 and the area code). Within the North American
// plan the area code names the country, and +7's next digit tells Russia
// from Kazakhstan: the number's own region is exact for the whole group.
// Other codes shared by several regions (+44: Guernsey, Jersey, Isle of
// Man) are priced as the code's main country, as Meta bills a calling code
// as one market. Empty (the default row) when the number is not one.
func priceCountry(address string) string {
	num, err := phonenumbers.Parse(address, "")
	if err != nil {
		return ""
	}
	cc := int(num.GetCountryCode())
	region := ""
	if cc == 1 || cc == 7 {
		region = phonenumbers.GetRegionCodeForNumber(num)
	}
	if region == "" || region == "ZZ" {
		region = phonenumbers.GetRegionCodeForCountryCode(cc)
	}
	if region == "ZZ" || region == "001" {
		return ""
	}
	return region
}

// priceGroup is the recipients of a channel whose messages cost the same.
type priceGroup struct {
	channel, key string
	line         pricing.Line
}

// priceGroups turns the estimate's rows into pricing lines: a line per
// channel other than WhatsApp (one price each), and for WhatsApp a line
// per price key, priced in the country of one of its numbers.
func priceGroups(rows []dbsqlc.EstimateAudienceRow) []priceGroup {
	var gs []priceGroup
	for _, r := range rows {
		switch {
		case r.Recipients == 0:
		case r.Grp == 1 && r.Channel != "whatsapp":
			gs = append(gs, priceGroup{channel: r.Channel, line: pricing.Line{Channel: r.Channel, Count: r.Recipients}})
		case r.Grp == 2 && r.PriceKey != "": // "": the rows of no WhatsApp recipient
			gs = append(gs, priceGroup{channel: "whatsapp", key: r.PriceKey, line: pricing.Line{
				Channel: "whatsapp", Category: WhatsAppCategory, Country: priceCountry(r.SampleAddress), Count: r.Recipients,
			}})
		}
	}
	return gs
}

// ChannelEstimate is one channel's share of an estimate.
type ChannelEstimate struct {
	Channel    Channel `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Recipients int     `json:"recipients" doc:"Messages this channel will send."`
	NoAddress  int     `json:"no_address" doc:"Contacts that got as far as this channel in the preference order and have no address on it."`
	OptedOut   int     `json:"opted_out" doc:"...that opted out of this channel (consent)."`
	Suppressed int     `json:"suppressed" doc:"...whose address is on the suppression list."`
	Currency   string  `json:"currency"`
	UnitMicros int64   `json:"unit_price_micros" doc:"Average price of one message (WhatsApp prices vary by destination country), in millionths of the currency; 0 without recipients."`
	CostMicros int64   `json:"cost_micros" doc:"Sum of each recipient's price from the organization's price table, in millionths of the currency."`
	Unpriced   int     `json:"unpriced" doc:"Recipients no row of the price table prices (counted at zero)."`
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
// campaign_audience) and prices it with the org's price table: WhatsApp by
// destination country, in WhatsAppCategory.
func EstimateAudience(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, a Audience) (Estimate, error) {
	var errs []fault.FieldError
	chs, _, delivery := checkAudience(ctx, db, orgID, a, &errs)
	if err := fault.Fields(errs...); err != nil {
		return Estimate{}, err
	}
	exclude := a.ExcludeGroupIDs
	if exclude == nil {
		exclude = []uuid.UUID{}
	}
	return estimate(ctx, db, orgID, chs, delivery, a.IncludeGroupIDs, exclude)
}

// EstimateCampaign estimates a saved campaign as it stands.
func EstimateCampaign(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Estimate, error) {
	c, err := get(ctx, db, orgID, id)
	if err != nil {
		return Estimate{}, err
	}
	return estimate(ctx, db, orgID, c.Channels, c.Delivery, c.IncludeGroupIds, c.ExcludeGroupIds)
}

func estimate(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, chs []string, delivery string, include, exclude []uuid.UUID) (Estimate, error) {
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
		switch r.Grp {
		case 3: // the grand total
			est.Contacts, est.ExcludedByGroup, est.Unreachable = int(r.Contacts), int(r.ExcludedByGroup), int(r.Unreachable)
		case 1: // a channel
			for i := range est.Channels {
				if string(est.Channels[i].Channel) == r.Channel {
					ce := &est.Channels[i]
					ce.Recipients, ce.NoAddress, ce.OptedOut, ce.Suppressed = int(r.Recipients), int(r.NoAddress), int(r.OptedOut), int(r.Suppressed)
				}
			}
		}
	}
	groups := priceGroups(rows)
	lines := make([]pricing.Line, len(groups))
	for i, g := range groups {
		lines[i] = g.line
	}
	cost, err := pricing.Estimate(ctx, db, orgID, lines)
	if err != nil {
		return Estimate{}, fmt.Errorf("pricing: %w", err)
	}
	est.Currency, est.CostMicros = cost.Currency, int64(cost.Total)
	for i := range est.Channels {
		ce := &est.Channels[i]
		ce.Currency = cost.Currency
		for _, cc := range cost.Channels {
			if cc.Channel == string(ce.Channel) {
				ce.CostMicros, ce.Unpriced = int64(cc.Cost), int(cc.Unpriced)
			}
		}
		if ce.Recipients > 0 {
			ce.UnitMicros = (ce.CostMicros + int64(ce.Recipients)/2) / int64(ce.Recipients)
		}
		est.Recipients += ce.Recipients
	}
	return est, nil
}

// recipientPrices fixes the price of each group of an audience's
// recipients (channel and price key) for MaterializeRecipients, from the
// same grouped read as the estimate and one read of the prices: what the
// estimate said is what the recipients cost.
func recipientPrices(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, params dbsqlc.EstimateAudienceParams) (chans, keys []string, micros []int64, currency string, err error) {
	rows, err := dbsqlc.New().EstimateAudience(ctx, db, params)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("grouping recipients by price: %w", err)
	}
	groups := priceGroups(rows)
	lines := make([]pricing.Line, len(groups))
	for i, g := range groups {
		lines[i] = g.line
	}
	prices, currency, err := pricing.UnitPrices(ctx, db, orgID, lines)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("reading prices: %w", err)
	}
	for i, g := range groups {
		chans = append(chans, g.channel)
		keys = append(keys, g.key)
		micros = append(micros, int64(prices[i]))
	}
	return chans, keys, micros, currency, nil
}
