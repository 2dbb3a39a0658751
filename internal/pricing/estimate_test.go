package pricing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/pricing"
)

func TestEstimate(t *testing.T) {
	t.Parallel()
	b := setup(t)

	est, err := pricing.Estimate(b.ctx, b.tx, b.org.ID, []pricing.Line{
		{Channel: "whatsapp", Category: "marketing", Country: "US", Count: 100},    // 100 × 0.030
		{Channel: "whatsapp", Category: "marketing", Country: "JP", Count: 10},     // no JP row: default 0.0654
		{Channel: "whatsapp", Category: "utility", Country: "", Count: 3},          // unknown country: default 0.0127
		{Channel: "whatsapp", Category: "authentication", Country: "IN", Count: 7}, // 7 × 0.0064
		{Channel: "email", Category: "ignored", Country: "DE", Count: 1_000_000},   // 1M × 0.000399
		{Channel: "telegram", Count: 50},
		{Channel: "instagram", Count: 0}, // skipped
	})
	require.NoError(t, err)
	require.Equal(t, "USD", est.Currency)
	require.Equal(t, []pricing.ChannelCost{
		{Channel: "email", Messages: 1_000_000, Cost: 399_000_000},
		{Channel: "whatsapp", Messages: 120, Cost: 100*30_000 + 10*65_400 + 3*12_700 + 7*6_400},
		{Channel: "telegram", Messages: 50, Cost: 0},
	}, est.Channels)
	require.Equal(t, pricing.Micros(399_000_000+3_000_000+654_000+38_100+44_800), est.Total)
	require.InDelta(t, 402.7369, est.Total.Float(), 1e-9)
	require.Zero(t, est.Unpriced)

	// The org's own prices, not the list's; lines without a row are unpriced.
	_, err = pricing.Put(b.ctx, b.tx, b.org.ID, pricing.PutParams{Currency: "EUR", Rows: []pricing.PriceRow{
		{Channel: "whatsapp", Category: "marketing", Country: "US", Price: 0.05},
		{Channel: "email", Price: 0.001},
	}}, b.now)
	require.NoError(t, err)
	est, err = pricing.Estimate(b.ctx, b.tx, b.org.ID, []pricing.Line{
		{Channel: "whatsapp", Category: "marketing", Country: "US", Count: 10},
		{Channel: "whatsapp", Category: "marketing", Country: "FR", Count: 4},
		{Channel: "email", Count: 3},
	})
	require.NoError(t, err)
	require.Equal(t, "EUR", est.Currency)
	require.Equal(t, []pricing.ChannelCost{
		{Channel: "email", Messages: 3, Cost: 3_000},
		{Channel: "whatsapp", Messages: 14, Cost: 500_000, Unpriced: 4},
	}, est.Channels)
	require.Equal(t, pricing.Micros(503_000), est.Total)
	require.Equal(t, int64(4), est.Unpriced)

	// Another org's estimate reads its own table.
	orgB, _ := b.newOrg(t)
	est, err = pricing.Estimate(b.ctx, b.tx, orgB.ID, []pricing.Line{{Channel: "whatsapp", Category: "marketing", Country: "US", Count: 10}})
	require.NoError(t, err)
	require.Equal(t, "USD", est.Currency)
	require.Equal(t, pricing.Micros(300_000), est.Total)

	empty, err := pricing.Estimate(b.ctx, b.tx, b.org.ID, nil)
	require.NoError(t, err)
	require.Empty(t, empty.Channels)
	require.Zero(t, empty.Total)

	_, err = pricing.Estimate(b.ctx, b.tx, b.org.ID, []pricing.Line{{Channel: "sms", Count: 1}})
	require.Error(t, err)
}

func TestUnitPrices(t *testing.T) {
	t.Parallel()
	b := setup(t)

	lines := []pricing.Line{
		{Channel: "whatsapp", Category: "marketing", Country: "US"},
		{Channel: "whatsapp", Category: "marketing", Country: "JP"}, // no JP row: the default
		{Channel: "email", Category: "ignored", Country: "DE"},
		{Channel: "telegram"},
	}
	prices, currency, err := pricing.UnitPrices(b.ctx, b.tx, b.org.ID, lines)
	require.NoError(t, err)
	require.Equal(t, "USD", currency)
	require.Equal(t, []pricing.Micros{30_000, 65_400, 399, 0}, prices)

	// A line no row prices costs nothing; the org's own prices count.
	_, err = pricing.Put(b.ctx, b.tx, b.org.ID, pricing.PutParams{Currency: "EUR", Rows: []pricing.PriceRow{
		{Channel: "whatsapp", Category: "marketing", Country: "US", Price: 0.05},
	}}, b.now)
	require.NoError(t, err)
	prices, currency, err = pricing.UnitPrices(b.ctx, b.tx, b.org.ID, lines)
	require.NoError(t, err)
	require.Equal(t, "EUR", currency)
	require.Equal(t, []pricing.Micros{50_000, 0, 0, 0}, prices)

	prices, _, err = pricing.UnitPrices(b.ctx, b.tx, b.org.ID, nil)
	require.NoError(t, err)
	require.Empty(t, prices)
}
