package pricing_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/pricing"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// find returns the row of (channel, category, country), failing when absent.
func find(t *testing.T, rows []pricing.PriceRow, channel, category, country string) pricing.PriceRow {
	t.Helper()
	i := slices.IndexFunc(rows, func(r pricing.PriceRow) bool {
		return r.Channel == channel && r.Category == category && r.Country == country
	})
	require.GreaterOrEqualf(t, i, 0, "no row %s/%s/%s", channel, category, country)
	return rows[i]
}

func TestSeededWithListPrices(t *testing.T) {
	t.Parallel()
	b := setup(t)

	list, err := pricing.ListPrices(b.ctx, b.tx)
	require.NoError(t, err)
	tbl, err := pricing.Get(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, "USD", tbl.Currency)
	require.Nil(t, tbl.UpdatedBy)
	require.Equal(t, list, tbl.Rows, "a new org starts from the list prices")

	// The published figures: SendGrid per email, Twilio's $0.005 plus Meta's
	// fee per WhatsApp template, free Telegram and Instagram.
	require.Equal(t, 0.000399, find(t, list, "email", "", "").Price)
	require.Equal(t, 0.03, find(t, list, "whatsapp", "marketing", "US").Price)
	require.Equal(t, 0.009, find(t, list, "whatsapp", "utility", "US").Price)
	require.Equal(t, 0.0185, find(t, list, "whatsapp", "authentication", "US").Price)
	require.Equal(t, 0.005, find(t, list, "whatsapp", "service", "").Price)
	require.Equal(t, 0.0654, find(t, list, "whatsapp", "marketing", "").Price, "the default row is Meta's Other market")
	require.Zero(t, find(t, list, "telegram", "", "").Price)
	require.Zero(t, find(t, list, "instagram", "", "").Price)
	for _, cat := range []string{"marketing", "utility", "authentication", "service"} {
		find(t, list, "whatsapp", cat, "")
	}

	// The order the page shows: channels, categories, then the default
	// row before the countries.
	require.Equal(t, "email", list[0].Channel)
	require.Equal(t, pricing.PriceRow{Channel: "whatsapp", Category: "marketing", Country: "", Price: 0.0654}, list[1])
	require.Equal(t, "instagram", list[len(list)-1].Channel)

	// Seeding again keeps what the org has.
	_, err = pricing.Put(b.ctx, b.tx, b.org.ID, pricing.PutParams{Currency: "EUR", Rows: []pricing.PriceRow{{Channel: "email", Price: 0.001}}}, b.now)
	require.NoError(t, err)
	require.NoError(t, pricing.Seed(b.ctx, b.tx, b.org.ID))
	tbl, err = pricing.Get(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, "EUR", tbl.Currency)
	require.Len(t, tbl.Rows, 1)
}

func TestToMicros(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		price float64
		want  pricing.Micros
		bad   bool
	}{
		{0, 0, false},
		{0.0107, 10700, false},
		{0.000399, 399, false},
		{0.000001, 1, false},
		{1000, 1_000_000_000, false},
		{999.999999, 999_999_999, false},
		{0.0000001, 0, true},
		{0.1234567, 0, true},
		{-0.01, 0, true},
		{1000.000001, 0, true},
	} {
		got, msg := pricing.ToMicros(tt.price)
		if tt.bad {
			require.NotEmptyf(t, msg, "%v", tt.price)
			continue
		}
		require.Emptyf(t, msg, "%v", tt.price)
		require.Equalf(t, tt.want, got, "%v", tt.price)
	}
}

func TestPutAndGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.roleToken(t, b.org.ID, auth.RoleAdmin)

	body := map[string]any{"currency": "eur", "rows": []map[string]any{
		{"channel": "email", "price": 0.0005},
		{"channel": "whatsapp", "category": "marketing", "price": 0.07},
		{"channel": "whatsapp", "category": "marketing", "country": "de", "price": 0.1415},
		{"channel": "telegram", "price": 0},
	}}
	var got pricing.PriceTable
	status, raw := b.call(t, "PUT", "/api/v1/pricing", admin, body, &got)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, "EUR", got.Currency, "codes are upper-cased")
	require.Equal(t, []pricing.PriceRow{
		{Channel: "email", Price: 0.0005},
		{Channel: "whatsapp", Category: "marketing", Price: 0.07},
		{Channel: "whatsapp", Category: "marketing", Country: "DE", Price: 0.1415},
		{Channel: "telegram", Price: 0},
	}, got.Rows)
	require.NotNil(t, got.UpdatedBy)
	require.Equal(t, b.now, got.UpdatedAt.UTC())

	var again pricing.PriceTable
	status, _ = b.call(t, "GET", "/api/v1/pricing", b.roleToken(t, b.org.ID, auth.RoleViewer), nil, &again)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, got.Rows, again.Rows)

	// Resetting is putting the list prices back.
	var list pricing.ListPricesBody
	status, _ = b.call(t, "GET", "/api/v1/pricing/list-prices", admin, nil, &list)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "USD", list.Currency)
	status, raw = b.call(t, "PUT", "/api/v1/pricing", admin, pricing.PriceTablePutBody{Currency: list.Currency, Rows: list.Rows}, &got)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, list.Rows, got.Rows)
}

func TestPutValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)
	before, err := pricing.Get(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)

	for _, tt := range []struct {
		name     string
		currency string
		rows     []map[string]any
		want     []string
	}{
		{"NegativePrice", "USD", []map[string]any{{"channel": "email", "price": -0.01}}, []string{"body.rows[0].price"}},
		{"SevenDecimals", "USD", []map[string]any{{"channel": "email", "price": 0.0000001}}, []string{"body.rows[0].price"}},
		{"UnknownCountry", "USD", []map[string]any{
			{"channel": "whatsapp", "category": "utility", "country": "XX", "price": 0.01},
			{"channel": "whatsapp", "category": "utility", "country": "DEU", "price": 0.01},
		}, []string{"body.rows[0].country", "body.rows[1].country"}},
		{"Duplicate", "USD", []map[string]any{
			{"channel": "whatsapp", "category": "utility", "country": "DE", "price": 0.01},
			{"channel": "email", "price": 0.001},
			{"channel": "whatsapp", "category": "utility", "country": "de", "price": 0.02},
			{"channel": "email", "price": 0.002},
		}, []string{"body.rows[2].country", "body.rows[3].country"}},
		{"WhatsAppWithoutCategory", "USD", []map[string]any{{"channel": "whatsapp", "price": 0.01}}, []string{"body.rows[0].category"}},
		{"CategoryOutsideWhatsApp", "USD", []map[string]any{{"channel": "email", "category": "marketing", "price": 0.01}}, []string{"body.rows[0].category"}},
		{"Currency", "dollars", []map[string]any{{"channel": "email", "price": 0.01}}, []string{"body.currency"}},
		{"Several", "USD", []map[string]any{
			{"channel": "email", "price": -1},
			{"channel": "whatsapp", "category": "marketing", "country": "ZZ", "price": 0.01},
		}, []string{"body.rows[0].price", "body.rows[1].country"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := b.call(t, "PUT", "/api/v1/pricing", tok, map[string]any{"currency": tt.currency, "rows": tt.rows}, nil)
			require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))
			require.Equal(t, tt.want, locations(t, raw), string(raw))
		})
	}
	status, raw := b.call(t, "PUT", "/api/v1/pricing", tok, map[string]any{"currency": "USD", "rows": []map[string]any{{"channel": "sms", "price": 0.01}}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))
	require.Equal(t, []string{"body.rows[0].channel"}, locations(t, raw))

	after, err := pricing.Get(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, before, after, "nothing was saved")
}

func TestRoles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := map[string]any{"currency": "USD", "rows": []map[string]any{{"channel": "email", "price": 0.001}}}

	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleMember, auth.RoleAdmin, auth.RoleOwner} {
		tok := b.ownerToken(t)
		if role != auth.RoleOwner {
			tok = b.roleToken(t, b.org.ID, role)
		}
		status, raw := b.call(t, "GET", "/api/v1/pricing", tok, nil, nil)
		require.Equalf(t, http.StatusOK, status, "%s reads: %s", role, raw)
		status, raw = b.call(t, "PUT", "/api/v1/pricing", tok, body, nil)
		want := http.StatusForbidden
		if role.AtLeast(auth.RoleAdmin) {
			want = http.StatusOK
		}
		require.Equalf(t, want, status, "%s writes: %s", role, raw)
	}
	status, _ := b.call(t, "GET", "/api/v1/pricing", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, status)
}

// API keys reach their own org's table only: the org comes from the key.
func TestAPIKeysAcrossOrgs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	orgB, _ := b.newOrg(t)

	mine := []map[string]any{{"channel": "email", "price": 0.123456}}
	status, raw := b.call(t, "PUT", "/api/v1/pricing", b.ownerToken(t), map[string]any{"currency": "GBP", "rows": mine}, nil)
	require.Equal(t, http.StatusOK, status, string(raw))

	keyB := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: orgB.ID, Scopes: []string{pricing.ScopeRead, pricing.ScopeWrite}})
	var seen pricing.PriceTable
	status, raw = b.call(t, "GET", "/api/v1/pricing", keyB.Secret, nil, &seen)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, "USD", seen.Currency, "B's key reads B's table, not A's")
	require.NotContains(t, string(raw), "0.123456")
	require.NotContains(t, string(raw), "GBP")

	status, raw = b.call(t, "PUT", "/api/v1/pricing", keyB.Secret, map[string]any{"currency": "JPY", "rows": []map[string]any{}}, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	a, err := pricing.Get(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, "GBP", a.Currency, "B's write changed only B's table")
	require.Equal(t, []pricing.PriceRow{{Channel: "email", Price: 0.123456}}, a.Rows)

	// Scopes hold: a key without pricing:write cannot change the table.
	readOnly := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: b.org.ID, Scopes: []string{pricing.ScopeRead}})
	status, _ = b.call(t, "GET", "/api/v1/pricing", readOnly.Secret, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "PUT", "/api/v1/pricing", readOnly.Secret, map[string]any{"currency": "USD", "rows": mine}, nil)
	require.Equal(t, http.StatusForbidden, status)
	other := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: b.org.ID, Scopes: []string{"contacts:read"}})
	status, _ = b.call(t, "GET", "/api/v1/pricing", other.Secret, nil, nil)
	require.Equal(t, http.StatusForbidden, status)
}
