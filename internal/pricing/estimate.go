package pricing

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Line is a number of messages to price: on a channel, for WhatsApp in a
// template category, to recipients in one country (ISO 3166-1 alpha-2 of
// their E.164 number; empty when unknown, which takes the default row).
type Line struct {
	Channel  string
	Category string
	Country  string
	Count    int64
}

// ChannelCost is an estimate's figures for one channel.
type ChannelCost struct {
	Channel  string
	Messages int64
	Cost     Micros
	// Unpriced counts messages no row of the table prices (the org deleted
	// the default row): they are in Messages and cost nothing in Cost.
	Unpriced int64
}

// CostEstimate is the cost of a set of lines.
type CostEstimate struct {
	Currency string
	// Channels holds a figure per channel that had lines, in Channels order.
	Channels []ChannelCost
	Total    Micros
	Unpriced int64
}

// Estimate prices lines with the org's table in one statement, however
// many lines there are. Callers aggregate their recipients in SQL first
// (GROUP BY channel, category, country) and pass the counts. A line's
// category is ignored outside WhatsApp; lines with no messages are skipped.
func Estimate(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, lines []Line) (CostEstimate, error) {
	q := dbsqlc.New()
	p, err := q.GetPricing(ctx, db, orgID)
	if errors.Is(err, pgx.ErrNoRows) {
		return CostEstimate{}, ErrNotFound
	}
	if err != nil {
		return CostEstimate{}, fmt.Errorf("reading price table: %w", err)
	}
	args := dbsqlc.EstimateCostParams{OrgID: orgID}
	for _, l := range lines {
		if l.Count <= 0 {
			continue
		}
		if !slices.Contains(Channels, l.Channel) {
			return CostEstimate{}, fmt.Errorf("estimating cost: unknown channel %q", l.Channel)
		}
		cat := l.Category
		if l.Channel != "whatsapp" {
			cat = ""
		}
		args.Channels = append(args.Channels, l.Channel)
		args.Categories = append(args.Categories, cat)
		args.Countries = append(args.Countries, l.Country)
		args.Counts = append(args.Counts, l.Count)
	}
	est := CostEstimate{Currency: p.Currency, Channels: []ChannelCost{}}
	if len(args.Channels) == 0 {
		return est, nil
	}
	rows, err := q.EstimateCost(ctx, db, args)
	if err != nil {
		return CostEstimate{}, fmt.Errorf("estimating cost: %w", err)
	}
	for _, r := range rows {
		est.Channels = append(est.Channels, ChannelCost{Channel: r.Channel, Messages: r.Messages, Cost: Micros(r.CostMicros), Unpriced: r.Unpriced})
		est.Total += Micros(r.CostMicros)
		est.Unpriced += r.Unpriced
	}
	slices.SortFunc(est.Channels, func(a, b ChannelCost) int {
		return slices.Index(Channels, a.Channel) - slices.Index(Channels, b.Channel)
	})
	return est, nil
}

// UnitPrices returns the price of one message of each line (Count is
// ignored), in line order, and the table's currency, in one statement.
// A line no row prices costs 0. A campaign's start job fixes its
// recipients' prices with it.
func UnitPrices(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, lines []Line) ([]Micros, string, error) {
	q := dbsqlc.New()
	p, err := q.GetPricing(ctx, db, orgID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading price table: %w", err)
	}
	out := make([]Micros, len(lines))
	if len(lines) == 0 {
		return out, p.Currency, nil
	}
	args := dbsqlc.LinePricesParams{OrgID: orgID}
	for _, l := range lines {
		cat := l.Category
		if l.Channel != "whatsapp" {
			cat = ""
		}
		args.Channels = append(args.Channels, l.Channel)
		args.Categories = append(args.Categories, cat)
		args.Countries = append(args.Countries, l.Country)
	}
	rows, err := q.LinePrices(ctx, db, args)
	if err != nil {
		return nil, "", fmt.Errorf("reading unit prices: %w", err)
	}
	for _, r := range rows {
		if r.PriceMicros > 0 {
			out[r.Ord-1] = Micros(r.PriceMicros)
		}
	}
	return out, p.Currency, nil
}
