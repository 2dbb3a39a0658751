package messaging

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/logging"
	"github.com/switchboard/switchboard/internal/storage"
)

// Handlers serves /api/v1/messages and /api/v1/uploads.
type Handlers struct {
	DB      dbutil.Executor
	Sends   *Sends
	Storage storage.Storage
}

type idPath struct {
	ID uuid.UUID `path:"id"`
}

// SendInput is POST /messages.
type SendInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to retry: the same key within 24 hours answers with the first message and sends nothing more."`
	Body           SendRequest
}

// SendOutput answers POST /messages.
type SendOutput struct {
	Replayed bool `header:"Idempotent-Replayed" doc:"true when the answer is the first message of this Idempotency-Key."`
	Body     Message
}

// ListQuery filters the outbound log.
type ListQuery struct {
	Channel   string `query:"channel" enum:"email,whatsapp,telegram,instagram"`
	Status    string `query:"status" enum:"queued,sending,sent,delivered,read,opened,clicked,failed,bounced,spam,undelivered"`
	ContactID string `query:"contact_id" doc:"Only messages to this contact."`
	Search    string `query:"search" maxLength:"200" doc:"Part of the address or the subject."`
	Cursor    string `query:"cursor" maxLength:"500"`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// FileInput reads a file upload as a stream.
type FileInput struct {
	Filename    string `query:"filename" maxLength:"255" doc:"The file's name when the body is the file itself."`
	ContentType string `header:"Content-Type"`
	body        io.Reader
}

// Resolve keeps the body reader for the handler.
func (u *FileInput) Resolve(ctx huma.Context) []error {
	u.body = ctx.BodyReader()
	return nil
}

// file finds the upload: the "file" part of a multipart form, or the body.
func (u *FileInput) file() (io.Reader, string, error) {
	mt, params, err := mime.ParseMediaType(u.ContentType)
	if err != nil {
		return nil, "", fault.Field("header.Content-Type", "must be multipart/form-data (a file field) or the file's own type", u.ContentType)
	}
	if mt != "multipart/form-data" {
		return u.body, u.Filename, nil
	}
	mr := multipart.NewReader(u.body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", fault.Field("body.file", "is required: send the file as the form's file field", nil)
		}
		if err != nil {
			return nil, "", fault.New(fault.BadRequest, "the multipart body cannot be read")
		}
		if part.FormName() == "file" {
			return part, part.FileName(), nil
		}
	}
}

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	read := auth.Access{Role: auth.RoleViewer, Scope: "messages:read"}
	write := auth.Access{Role: auth.RoleMember, Scope: "messages:write"}
	tags := []string{"Messages"}
	h.registerLogs(api, read, write) // before /messages/{id}: see registerLogs

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "send-message", Method: http.MethodPost, Path: "/api/v1/messages", Tags: tags,
		Summary: "Send a message",
		Description: "Validates, checks the suppression list and the contact's consent, renders the template (or the content), " +
			"and queues the message on the channel's queue. The answer is 202 with the queued message; follow its status " +
			"with GET /messages/{id}. A raw `to` address matches the contact holding it or creates one.",
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusUnprocessableEntity, http.StatusNotFound},
	}, write), func(ctx context.Context, in *SendInput) (*SendOutput, error) {
		p := auth.PrincipalFrom(ctx)
		actor := Actor{UserID: p.CreatedBy(), RequestID: logging.RequestID(ctx)}
		if p.Kind == auth.KindAPIKey {
			actor.APIKeyID = uuid.NullUUID{UUID: p.APIKeyID, Valid: true}
		}
		m, created, err := h.Sends.Send(ctx, p.OrgID, actor, in.Body, strings.TrimSpace(in.IdempotencyKey))
		if err != nil {
			return nil, err
		}
		return &SendOutput{Replayed: !created && in.IdempotencyKey != "", Body: m}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-messages", Method: http.MethodGet, Path: "/api/v1/messages", Tags: tags,
		Summary: "List outbound messages", Description: "Newest first, with keyset pagination.",
	}, read), func(ctx context.Context, in *ListQuery) (*struct{ Body MessagePage }, error) {
		lp := ListParams{Channel: in.Channel, Status: in.Status, Search: in.Search, Cursor: in.Cursor, Limit: in.Limit}
		if in.ContactID != "" {
			id, err := uuid.Parse(in.ContactID)
			if err != nil {
				return nil, fault.Field("query.contact_id", "must be a contact id", in.ContactID)
			}
			lp.ContactID = &id
		}
		page, err := List(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, lp)
		if err != nil {
			return nil, err
		}
		return &struct{ Body MessagePage }{Body: page}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-message", Method: http.MethodGet, Path: "/api/v1/messages/{id}", Tags: tags,
		Summary: "Get a message with its timeline",
	}, read), func(ctx context.Context, in *idPath) (*struct{ Body Message }, error) {
		m, err := Get(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, true)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Message }{Body: m}, nil
	})

	h.registerUploads(api, read, write)
}

func (h *Handlers) registerUploads(api huma.API, read, write auth.Access) {
	tags := []string{"Uploads"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-upload", Method: http.MethodPost, Path: "/api/v1/uploads", Tags: tags,
		Summary: "Upload an attachment",
		Description: "A file for messages to attach (the file field of a multipart form, or the body itself with ?filename=). " +
			"Up to 50 MB; its type is sniffed from the bytes. The answer lists the channels whose limits accept it.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *FileInput) (*struct{ Body Upload }, error) {
		r, name, err := in.file()
		if err != nil {
			return nil, err
		}
		p := auth.PrincipalFrom(ctx)
		u, err := SaveUpload(ctx, h.DB, h.Storage, p.OrgID, p.CreatedBy(), "upload", name, r)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Upload }{Body: u}, nil
	})
	if pi := api.OpenAPI().Paths["/api/v1/uploads"]; pi != nil && pi.Post != nil {
		// Files up to the largest channel's limit arrive as a stream, past
		// the server's limit for other bodies (a multipart envelope's
		// bytes on top).
		httpserver.StreamBody(pi.Post, MaxUploadBytes+1<<20, 10*time.Minute)
		// Declared after registering so that Huma leaves the body stream to the handler.
		pi.Post.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"multipart/form-data": {Schema: &huma.Schema{Type: "object", Required: []string{"file"}, Properties: map[string]*huma.Schema{
				"file": {Type: "string", Format: "binary"},
			}}},
			"application/octet-stream": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
		}}
	}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-upload", Method: http.MethodGet, Path: "/api/v1/uploads/{id}", Tags: tags, Summary: "Get an upload",
	}, read), func(ctx context.Context, in *idPath) (*struct{ Body Upload }, error) {
		u, err := GetUpload(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Upload }{Body: u}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "download-upload", Method: http.MethodGet, Path: "/api/v1/uploads/{id}/content", Tags: tags,
		Summary: "Download an upload's bytes",
		Responses: map[string]*huma.Response{"200": {Description: "The file", Content: map[string]*huma.MediaType{
			"application/octet-stream": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
		}}},
	}, read), func(ctx context.Context, in *idPath) (*huma.StreamResponse, error) {
		u, err := GetUpload(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		rc, err := h.Storage.Open(ctx, u.key)
		if err != nil {
			return nil, err
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer rc.Close()
			setFileHeaders(hctx.SetHeader, u)
			hctx.SetStatus(http.StatusOK)
			_, _ = io.Copy(hctx.BodyWriter(), rc)
		}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-upload", Method: http.MethodDelete, Path: "/api/v1/uploads/{id}", Tags: tags,
		Summary: "Delete an upload no message uses", DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusConflict},
	}, write), func(ctx context.Context, in *idPath) (*struct{}, error) {
		return nil, DeleteUpload(ctx, h.DB, h.Storage, auth.PrincipalFrom(ctx).OrgID, in.ID)
	})
}

// inlineTypes are shown in the browser; anything else downloads, so that
// an uploaded HTML or SVG file can never run as a page of ours.
var inlineTypes = map[string]bool{
	"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true,
	"audio/ogg": true, "audio/mpeg": true, "audio/mp4": true, "audio/aac": true,
	"video/mp4": true, "video/webm": true, "application/pdf": true,
}

func setFileHeaders(set func(name, value string), u Upload) {
	disposition := "attachment"
	if inlineTypes[u.ContentType] {
		disposition = "inline"
	}
	set("Content-Type", u.ContentType)
	set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": u.Filename}))
	set("X-Content-Type-Options", "nosniff")
	set("Cache-Control", "private, max-age=3600")
	set("Content-Security-Policy", "default-src 'none'; sandbox")
}

// Files serves signed links to uploads (GET /files/{token}/{name}) for
// providers that fetch media by URL. The token alone grants access and
// expires; the name is cosmetic.
type Files struct {
	DB      dbutil.Executor
	Storage storage.Storage
	Signer  *storage.Signer
}

// Register mounts the public route.
func (f *Files) Register(app *fiber.App) {
	app.Get("/files/:token/:name?", f.serve)
}

func (f *Files) serve(c *fiber.Ctx) error {
	id, ok := f.Signer.Verify(c.Params("token"))
	uid, err := uuid.Parse(id)
	if !ok || err != nil {
		return fiber.NewError(fiber.StatusNotFound, "no such file, or the link expired")
	}
	row, err := dbsqlc.New().GetUploadByID(c.UserContext(), f.DB, uid)
	if errors.Is(err, pgx.ErrNoRows) {
		return fiber.NewError(fiber.StatusNotFound, "no such file, or the link expired")
	}
	if err != nil {
		return err
	}
	rc, err := f.Storage.Open(c.UserContext(), row.StorageKey)
	if err != nil {
		return err
	}
	setFileHeaders(func(k, v string) { c.Set(k, v) }, uploadFrom(row))
	return c.SendStream(rc, int(row.SizeBytes))
}
