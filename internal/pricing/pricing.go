// Package pricing is what an org pays per message: its price table, seeded
// from the published list prices (migration 000010 holds them, with their
// sources), edited by admins, and read by campaign cost estimates.
//
// A price row is (channel, category, country) → price per message. WhatsApp
// rows carry a template category; the other channels' category is empty.
// The country is the ISO 3166-1 alpha-2 region of the recipient's E.164
// number, or empty for the default row that prices every country without a
// row of its own. Prices are exact to a millionth of the currency unit and
// travel as whole millionths (Micros) between SQL and Go, so that nothing
// rounds them; the API shows them as decimal numbers.
package pricing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ErrNotFound is an org without a price table (only an org that is gone).
var ErrNotFound = fault.New(fault.NotFound, "price table not found")

// Channels priced, in the order the table lists them.
var Channels = []string{"email", "whatsapp", "telegram", "instagram"}

// Categories of WhatsApp templates, as Meta bills them. "service" is a
// non-template message inside a customer service window.
var Categories = []string{"marketing", "utility", "authentication", "service"}

// MaxRows bounds a table: every country times four categories, with room.
const MaxRows = 2000

// MaxPrice bounds a price per message, to catch a misplaced decimal point.
const MaxPrice = 1000

// Micros is an amount in millionths of the currency unit.
type Micros int64

// Float is the amount in currency units.
func (m Micros) Float() float64 { return float64(m) / 1e6 }

// PriceRow is one price.
type PriceRow struct {
	Channel  string  `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Category string  `json:"category,omitempty" maxLength:"32" doc:"WhatsApp: the template category; empty for the other channels."`
	Country  string  `json:"country,omitempty" maxLength:"8" doc:"ISO 3166-1 alpha-2 region of the recipient's number; empty for the default row (every other country)."`
	Price    float64 `json:"price" doc:"Per message, in the table's currency, at most 6 decimals."`
}

// PriceTable is an org's prices.
type PriceTable struct {
	Currency  string     `json:"currency" doc:"ISO 4217 code; it names the prices' unit and converts nothing."`
	Rows      []PriceRow `json:"rows"`
	UpdatedBy *uuid.UUID `json:"updated_by,omitempty" doc:"Who saved the table last; absent for the seeded list prices."`
	UpdatedAt time.Time  `json:"updated_at"`
}

// ListCurrency is the currency of the list prices.
const ListCurrency = "USD"

// Seed gives a new org its price table, copied from the list prices. It does
// nothing for an org that already has one. orgs.Create calls it in the
// transaction that creates the org.
func Seed(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) error {
	if err := dbsqlc.New().SeedPricing(ctx, db, orgID); err != nil {
		return fmt.Errorf("seeding price table: %w", err)
	}
	return nil
}

// Get returns the org's table.
func Get(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (PriceTable, error) {
	q := dbsqlc.New()
	p, err := q.GetPricing(ctx, db, orgID)
	if errors.Is(err, pgx.ErrNoRows) {
		return PriceTable{}, ErrNotFound
	}
	if err != nil {
		return PriceTable{}, fmt.Errorf("reading price table: %w", err)
	}
	rows, err := q.ListOrgPrices(ctx, db, orgID)
	if err != nil {
		return PriceTable{}, fmt.Errorf("reading prices: %w", err)
	}
	t := PriceTable{Currency: p.Currency, Rows: make([]PriceRow, len(rows)), UpdatedAt: p.UpdatedAt}
	if p.UpdatedBy.Valid {
		t.UpdatedBy = &p.UpdatedBy.UUID
	}
	for i, r := range rows {
		t.Rows[i] = PriceRow{Channel: r.Channel, Category: r.Category, Country: r.Country, Price: Micros(r.PriceMicros).Float()}
	}
	return t, nil
}

// ListPrices returns the published list prices every org starts from, in
// ListCurrency.
func ListPrices(ctx context.Context, db dbutil.Executor) ([]PriceRow, error) {
	rows, err := dbsqlc.New().ListListPrices(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("reading list prices: %w", err)
	}
	out := make([]PriceRow, len(rows))
	for i, r := range rows {
		out[i] = PriceRow{Channel: r.Channel, Category: r.Category, Country: r.Country, Price: Micros(r.PriceMicros).Float()}
	}
	return out, nil
}

// PutParams replace an org's table.
type PutParams struct {
	Currency string
	Rows     []PriceRow
	Actor    uuid.NullUUID
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// validate normalizes p (upper-cased codes, trimmed) and returns every
// input at fault, located as the API's body (body.rows[3].price), with the
// rows' prices in micros.
func (p *PutParams) validate() ([]Micros, error) {
	var fields []fault.FieldError
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	if !currencyCode.MatchString(p.Currency) {
		fields = append(fields, fault.FieldError{Location: "body.currency", Message: "must be an ISO 4217 code like USD", Value: p.Currency})
	}
	if len(p.Rows) > MaxRows {
		fields = append(fields, fault.FieldError{Location: "body.rows", Message: fmt.Sprintf("must have at most %d rows", MaxRows), Value: len(p.Rows)})
		return nil, fault.Fields(fields...)
	}
	regions := phonenumbers.GetSupportedRegions()
	type key struct{ channel, category, country string }
	seen := make(map[key]int, len(p.Rows))
	micros := make([]Micros, len(p.Rows))
	for i := range p.Rows {
		r := &p.Rows[i]
		loc := func(f string) string { return fmt.Sprintf("body.rows[%d].%s", i, f) }
		r.Channel = strings.ToLower(strings.TrimSpace(r.Channel))
		r.Category = strings.ToLower(strings.TrimSpace(r.Category))
		r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
		rowOK := true
		switch {
		case !slices.Contains(Channels, r.Channel):
			fields = append(fields, fault.FieldError{Location: loc("channel"), Message: "must be one of " + strings.Join(Channels, ", "), Value: r.Channel})
			rowOK = false
		case r.Channel == "whatsapp" && !slices.Contains(Categories, r.Category):
			fields = append(fields, fault.FieldError{Location: loc("category"), Message: "WhatsApp prices need a template category: " + strings.Join(Categories, ", "), Value: r.Category})
			rowOK = false
		case r.Channel != "whatsapp" && r.Category != "":
			fields = append(fields, fault.FieldError{Location: loc("category"), Message: "only WhatsApp prices have a category", Value: r.Category})
			rowOK = false
		}
		if r.Country != "" && !regions[r.Country] {
			fields = append(fields, fault.FieldError{Location: loc("country"), Message: "is not a country with phone numbers (ISO 3166-1 alpha-2, like DE)", Value: r.Country})
			rowOK = false
		}
		m, msg := toMicros(r.Price)
		if msg != "" {
			fields = append(fields, fault.FieldError{Location: loc("price"), Message: msg, Value: r.Price})
		}
		micros[i] = m
		if !rowOK {
			continue
		}
		k := key{r.Channel, r.Category, r.Country}
		if first, dup := seen[k]; dup {
			fields = append(fields, fault.FieldError{Location: loc("country"), Message: fmt.Sprintf("duplicates row %d: one price per channel, category and country", first+1), Value: r.Country})
			continue
		}
		seen[k] = i
	}
	return micros, fault.Fields(fields...)
}

// toMicros converts a price, or says what is wrong with it.
func toMicros(price float64) (Micros, string) {
	switch {
	case math.IsNaN(price) || math.IsInf(price, 0):
		return 0, "must be a number"
	case price < 0:
		return 0, "must not be negative"
	case price > MaxPrice:
		return 0, fmt.Sprintf("must be at most %d per message", MaxPrice)
	}
	scaled := price * 1e6
	m := math.Round(scaled)
	// JSON numbers arrive as float64: 0.0107 is 10699.999... millionths.
	// A seventh decimal puts it at least 0.1 away from a whole millionth;
	// float error stays far below 0.001 up to MaxPrice.
	if math.Abs(scaled-m) > 1e-3 {
		return 0, "must have at most 6 decimals"
	}
	return Micros(m), ""
}

// Put replaces the org's table (currency and every row) in one
// transaction, and returns it as stored.
func Put(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p PutParams, now time.Time) (PriceTable, error) {
	micros, err := p.validate()
	if err != nil {
		return PriceTable{}, err
	}
	q := dbsqlc.New()
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := q.LockPricing(ctx, tx, orgID); errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("locking price table: %w", err)
		}
		if err := q.UpdatePricing(ctx, tx, dbsqlc.UpdatePricingParams{OrgID: orgID, Currency: p.Currency, UpdatedBy: p.Actor, Now: now}); err != nil {
			return fmt.Errorf("updating price table: %w", err)
		}
		if err := q.DeleteOrgPrices(ctx, tx, orgID); err != nil {
			return fmt.Errorf("deleting old prices: %w", err)
		}
		args := dbsqlc.InsertOrgPricesParams{OrgID: orgID}
		for i, r := range p.Rows {
			args.Channels = append(args.Channels, r.Channel)
			args.Categories = append(args.Categories, r.Category)
			args.Countries = append(args.Countries, r.Country)
			args.PriceMicros = append(args.PriceMicros, int64(micros[i]))
		}
		if err := q.InsertOrgPrices(ctx, tx, args); err != nil {
			return fmt.Errorf("inserting prices: %w", err)
		}
		return nil
	})
	if err != nil {
		return PriceTable{}, err
	}
	return Get(ctx, db, orgID)
}
