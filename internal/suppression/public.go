package suppression

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Public serves the unsubscribe pages: GET /u/{token} asks to confirm,
// POST /u/{token} records the opt-out. They need no account: the signed
// token is the credential.
type Public struct {
	DB     dbutil.Executor
	Tokens *Tokens
	Now    func() time.Time
}

// RegisterPublic mounts /u/{token} on app. Mount it before the SPA.
func RegisterPublic(app *fiber.App, p *Public) {
	app.Get("/u/:token", p.show)
	app.Post("/u/:token", p.unsubscribe)
}

// page is what the templates show.
type page struct {
	Title   string
	Org     string
	Channel string
	Address string
	Action  string
	Again   bool
}

// The pages are server-rendered, with inline styles only: the CSP forbids
// inline script, and the pages need none.
var pages = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.Title}}</title>
</head>
<body style="margin:0;background:#f4f5f7;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328">
<main style="max-width:28rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)">
{{template "body" .}}
</main>
</body>
</html>
{{define "confirm"}}<h1 style="font-size:1.4rem;margin:0 0 1rem">Unsubscribe?</h1>
<p style="line-height:1.5">You will no longer get {{.Channel}} messages from <strong>{{.Org}}</strong>{{if .Address}} at <strong>{{.Address}}</strong>{{end}}.</p>
<form method="post" action="{{.Action}}" style="margin-top:1.5rem">
<input type="hidden" name="confirm" value="1">
<button type="submit" style="font-size:1rem;padding:.7rem 1.4rem;border:0;border-radius:8px;background:#1c7ed6;color:#fff;cursor:pointer">Unsubscribe</button>
</form>{{end}}
{{define "done"}}<h1 style="font-size:1.4rem;margin:0 0 1rem">You are unsubscribed</h1>
<p style="line-height:1.5">{{if .Again}}You were already unsubscribed: {{end}}<strong>{{.Org}}</strong> will send you no more {{.Channel}} messages{{if .Address}} at <strong>{{.Address}}</strong>{{end}}.</p>{{end}}
{{define "notfound"}}<h1 style="font-size:1.4rem;margin:0 0 1rem">Link not valid</h1>
<p style="line-height:1.5">This unsubscribe link is not valid any more. If you keep getting messages, reply to one of them and ask to be removed.</p>{{end}}
`))

var channelNames = map[contacts.Channel]string{
	contacts.ChannelEmail: "email", contacts.ChannelWhatsApp: "WhatsApp", contacts.ChannelTelegram: "Telegram", contacts.ChannelInstagram: "Instagram",
}

func render(c *fiber.Ctx, status int, body string, p page) error {
	t, err := pages.Clone()
	if err == nil {
		_, err = t.New("body").Parse(`{{template "` + body + `" .}}`)
	}
	var buf bytes.Buffer
	if err == nil {
		err = t.Execute(&buf, p)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	// The token is in the URL: no page it links to may see it.
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Robots-Tag", "noindex")
	return c.Status(status).Send(buf.Bytes())
}

// lookup resolves the token to its contact and org, or nil.
func (p *Public) lookup(c *fiber.Ctx) (*dbsqlc.Contact, contacts.Channel, string, error) {
	id, ch, ok := p.Tokens.Parse(c.Params("token"))
	if !ok {
		return nil, "", "", nil
	}
	ctx := c.UserContext()
	q := dbsqlc.New()
	contact, err := q.GetContactByID(ctx, p.DB, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", "", nil
	}
	if err != nil {
		return nil, "", "", err
	}
	org, err := q.GetOrg(ctx, p.DB, contact.OrgID)
	if err != nil {
		return nil, "", "", err
	}
	return &contact, ch, org.Name, nil
}

func (p *Public) show(c *fiber.Ctx) error {
	contact, ch, org, err := p.lookup(c)
	if err != nil {
		return err
	}
	if contact == nil {
		return render(c, http.StatusNotFound, "notfound", page{Title: "Link not valid"})
	}
	pg := page{Title: "Unsubscribe", Org: org, Channel: channelNames[ch], Address: mask(ch, contacts.Address(*contact, ch)), Action: "/u/" + c.Params("token")}
	return render(c, http.StatusOK, "confirm", pg)
}

// unsubscribe records the opt-out: from the confirmation form, or straight
// from a mail client's RFC 8058 one-click POST (body
// List-Unsubscribe=One-Click), which gets the same answer.
func (p *Public) unsubscribe(c *fiber.Ctx) error {
	contact, ch, org, err := p.lookup(c)
	if err != nil {
		return err
	}
	if contact == nil {
		return render(c, http.StatusNotFound, "notfound", page{Title: "Link not valid"})
	}
	source := SourceUnsubscribePage
	if strings.EqualFold(c.FormValue("List-Unsubscribe"), "One-Click") {
		source = SourceOneClick
	}
	res, err := OptOut(c.UserContext(), p.DB, contact.OrgID, contact.ID, ch, source, "", Actor{}, p.Now())
	if errors.Is(err, ErrContactNotFound) {
		return render(c, http.StatusNotFound, "notfound", page{Title: "Link not valid"})
	}
	if err != nil {
		return err
	}
	zerolog.Ctx(c.UserContext()).Info().Str("org_id", contact.OrgID.String()).Str("contact_id", contact.ID.String()).
		Str("channel", string(ch)).Str("source", source).Bool("changed", res.Changed).Msg("unsubscribed")
	return render(c, http.StatusOK, "done", page{
		Title: "Unsubscribed", Org: org, Channel: channelNames[ch], Address: mask(ch, contacts.Address(*contact, ch)), Again: !res.Changed,
	})
}

// mask shows enough of an address for its owner to recognize it, and not
// enough to give it away to whoever holds the link.
func mask(ch contacts.Channel, addr *string) string {
	if addr == nil {
		return ""
	}
	a := *addr
	switch ch {
	case contacts.ChannelEmail:
		local, domain, ok := strings.Cut(a, "@")
		if !ok || local == "" {
			return ""
		}
		first, _ := utf8.DecodeRuneInString(local)
		return string(first) + "•••@" + domain
	case contacts.ChannelWhatsApp:
		if len(a) > 4 {
			return "•••" + a[len(a)-4:]
		}
	}
	return ""
}

// UnsubscribeURLs are a contact's unsubscribe links, per channel it has.
func UnsubscribeURLs(t *Tokens, baseURL string, c dbsqlc.Contact) map[string]string {
	out := map[string]string{}
	for _, ch := range contacts.Channels {
		if contacts.Address(c, ch) != nil {
			out[string(ch)] = t.URL(baseURL, c.ID, ch)
		}
	}
	return out
}
