package messaging

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/templates"
)

// Problem kinds of a send check, so that a form can tell a field not yet
// filled in from a send that cannot go out as it stands.
const (
	// ProblemMissing: a required field is still empty.
	ProblemMissing = "missing"
	// ProblemInvalid: a field's value is refused (too long, not allowed on
	// the channel...).
	ProblemInvalid = "invalid"
	// ProblemRecipient: the address is malformed, suppressed, opted out,
	// outside Instagram's reply window, or the contact has no address on
	// the channel.
	ProblemRecipient = "recipient"
	// ProblemAttachments: a file the channel does not take.
	ProblemAttachments = "attachments"
	// ProblemTemplate: the template is unknown, unapproved or of another
	// channel.
	ProblemTemplate = "template"
	// ProblemVariables: a variable has no value.
	ProblemVariables = "variables"
)

// CheckProblem is one reason Send would refuse the request.
type CheckProblem struct {
	Field   string `json:"field" doc:"The request field at fault, as a 422 from POST /messages names it: body.to, body.subject, body.variables.order_id..."`
	Message string `json:"message"`
	Kind    string `json:"kind" enum:"missing,invalid,recipient,attachments,template,variables" doc:"missing: a required field is still empty; recipient: suppression, consent, the reply window or the address; the rest name what is wrong."`
}

// CheckRecipient is whom the message would go to.
type CheckRecipient struct {
	ContactID *uuid.UUID `json:"contact_id" doc:"The contact chosen; null for a raw address (a send matches the contact holding it or creates one)."`
	Address   string     `json:"address" doc:"The address as it would be sent to (normalized)."`
	Name      string     `json:"name" doc:"The contact's name, when the address belongs to a contact with one."`
}

// CheckPreview is the message as it would be sent.
type CheckPreview struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text" doc:"The plain-text part (email) or the message (chat channels)."`
}

// CheckResult answers POST /messages/check.
type CheckResult struct {
	OK        bool                         `json:"ok" doc:"Whether POST /messages would accept the same request now."`
	Problems  []CheckProblem               `json:"problems"`
	Recipient *CheckRecipient              `json:"recipient" doc:"Null until the recipient resolves."`
	Preview   *CheckPreview                `json:"preview" doc:"Null while there is nothing to render."`
	Variables []templates.TemplateVariable `json:"variables" doc:"The template's declared variables (the approved version's), for a values form."`
	Missing   []string                     `json:"missing" doc:"Variables the render found no value for."`
}

// contactFields are variables a contact fills: without a recipient yet,
// their absence says nothing.
func contactField(name string) bool {
	switch name {
	case "first_name", "last_name", "email", "phone":
		return true
	}
	return strings.HasPrefix(name, "attributes.")
}

// Check runs Send's validation, recipient checks (suppression, consent,
// Instagram's reply window) and render for req without sending: the steps
// run in a transaction that is always rolled back, so the answer is what
// Send would say now and nothing is left behind (a raw address's contact
// is matched or made only inside it). Refusals come back as problems, each
// stage checked even when an earlier one failed, so that a form shows
// them all at once; only unexpected failures are errors.
func (s *Sends) Check(ctx context.Context, orgID uuid.UUID, req SendRequest) (CheckResult, error) {
	res := CheckResult{Problems: []CheckProblem{}, Variables: []templates.TemplateVariable{}, Missing: []string{}}
	// collect turns a refusal into problems and returns any other error.
	collect := func(err error, kind func(fault.FieldError) string) error {
		if err == nil {
			return nil
		}
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid {
			return err
		}
		for _, f := range fe.Fields {
			res.Problems = append(res.Problems, CheckProblem{Field: f.Location, Message: f.Message, Kind: kind(f)})
		}
		return nil
	}
	if err := collect(validate(&req), func(f fault.FieldError) string { return validationKind(req, f.Location) }); err != nil {
		return res, err
	}
	if !req.Channel.Valid() {
		return res, nil
	}

	tx, err := s.DB.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("beginning check transaction: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	ch := req.Channel

	ups, err := getUploads(ctx, tx, orgID, req.Attachments, "body.attachments")
	if err := collect(err, constKind(ProblemAttachments)); err != nil {
		return res, err
	}
	if err == nil {
		if why := checkMedia(ch, ups); why != "" {
			res.Problems = append(res.Problems, CheckProblem{Field: "body.attachments", Message: why, Kind: ProblemAttachments})
		}
	}

	var r recipient
	resolved := false
	if (req.ContactID == nil) != (req.To == "") {
		r, err = s.resolve(ctx, tx, orgID, req)
		if err := collect(err, constKind(ProblemRecipient)); err != nil {
			return res, err
		}
		if err == nil {
			resolved = true
			res.Recipient = &CheckRecipient{ContactID: req.ContactID, Address: r.address,
				Name: strings.TrimSpace(r.contact.FirstName + " " + r.contact.LastName)}
			if err := collect(checkRecipient(ctx, tx, orgID, ch, r), constKind(ProblemRecipient)); err != nil {
				return res, err
			}
			if err := s.checkReplyWindow(ctx, tx, orgID, ch, r, &res); err != nil {
				return res, err
			}
		}
	}

	if req.TemplateID != nil {
		// The declared variables, for the values form; an unusable
		// template is reported by the render below.
		if t, err := templates.GetUsable(ctx, tx, orgID, *req.TemplateID); err == nil && t.Channel == templates.Channel(ch) {
			res.Variables = append(res.Variables, t.Variables...)
		}
	}
	if req.TemplateID != nil || req.Subject != "" || req.Body != "" || req.HTML != "" {
		content, err := s.render(ctx, tx, orgID, req, r)
		rendered := true
		if err := collect(err, func(f fault.FieldError) string {
			if name, ok := strings.CutPrefix(f.Location, "body.variables."); ok {
				res.Missing = append(res.Missing, name)
				return ProblemVariables
			}
			rendered = false
			return ProblemTemplate
		}); err != nil {
			return res, err
		}
		if !resolved {
			// Whom the message goes to decides these: not a problem yet.
			kept := res.Problems[:0]
			for _, p := range res.Problems {
				if name, ok := strings.CutPrefix(p.Field, "body.variables."); !ok || !contactField(name) {
					kept = append(kept, p)
				}
			}
			res.Problems = kept
			res.Missing = slices.DeleteFunc(res.Missing, contactField)
		}
		if rendered {
			res.Preview = &CheckPreview{Subject: content.subject, HTML: content.html, Text: content.text}
		}
	}
	res.OK = len(res.Problems) == 0 && resolved
	return res, nil
}

// checkReplyWindow adds Send's Instagram refusal: a message only within 24
// hours of the person's last one.
func (s *Sends) checkReplyWindow(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, ch Channel, r recipient, res *CheckResult) error {
	if ch != contacts.ChannelInstagram {
		return nil
	}
	last, err := dbsqlc.New().LastInboundAt(ctx, tx, dbsqlc.LastInboundAtParams{OrgID: orgID, ContactID: r.contact.ID, Channel: string(ch)})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("reading the conversation: %w", err)
	}
	if fe, ok := fault.As(outsideReplyWindow(r, last, s.Now())); ok {
		res.Problems = append(res.Problems, CheckProblem{Field: r.field, Kind: ProblemRecipient, Message: fe.Fields[0].Message})
	}
	return nil
}

func constKind(kind string) func(fault.FieldError) string {
	return func(fault.FieldError) string { return kind }
}

// validationKind tells a field still empty from a refused value.
func validationKind(req SendRequest, location string) string {
	empty := false
	switch location {
	case "body.contact_id":
		empty = req.ContactID == nil && req.To == ""
	case "body.subject":
		empty = strings.TrimSpace(req.Subject) == ""
	case "body.body":
		empty = strings.TrimSpace(req.Body) == "" && strings.TrimSpace(req.HTML) == ""
	}
	if empty {
		return ProblemMissing
	}
	return ProblemInvalid
}

// CheckInput is POST /messages/check.
type CheckInput struct {
	Body SendRequest
}

func (h *Handlers) registerCheck(api huma.API, write auth.Access) {
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "check-message", Method: http.MethodPost, Path: "/api/v1/messages/check", Tags: []string{"Messages"},
		Summary: "Check a message before sending it",
		Description: "Takes the body of POST /messages and answers whether it would be accepted, with every problem " +
			"(missing fields, suppression and consent, the Instagram reply window, attachments the channel refuses, " +
			"variables without a value) and the message as it would be rendered. Nothing is sent or stored.",
	}, write), func(ctx context.Context, in *CheckInput) (*struct{ Body CheckResult }, error) {
		res, err := h.Sends.Check(ctx, auth.PrincipalFrom(ctx).OrgID, in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body CheckResult }{Body: res}, nil
	})
}
