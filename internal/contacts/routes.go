package contacts

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/httpserver"
)

// Handlers serves /api/v1/contacts and /api/v1/groups.
type Handlers struct {
	DB   dbutil.Executor
	Jobs Inserter
	Now  func() time.Time
}

// IDPath is the {id} path parameter.
type IDPath struct {
	ID uuid.UUID `path:"id"`
}

// ListBody wraps a list answer.
type ListBody[T any] struct {
	Items []T `json:"items"`
}

// ListQuery is the list's filter, sort and page as query parameters.
type ListQuery struct {
	Search     string `query:"search" maxLength:"200" doc:"Part of a name, email, phone number or username."`
	Tag        string `query:"tag" maxLength:"64"`
	GroupID    string `query:"group_id" doc:"Only members of this group (a group id)."`
	HasChannel string `query:"has_channel" enum:"email,phone,whatsapp,telegram,instagram" doc:"Only contacts with this field set."`
	OptedOut   string `query:"opted_out" enum:"any,email,whatsapp,telegram,instagram" doc:"Only contacts opted out on this channel (any: on at least one)."`
	Sort       string `query:"sort" enum:"created_at,-created_at,name,-name,email,-email" default:"-created_at" doc:"A field, descending with a leading -."`
	Cursor     string `query:"cursor" maxLength:"1000" doc:"The next_cursor of the previous page."`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

func (q ListQuery) params() (ListParams, error) {
	f := ContactFilter{Search: q.Search, Tag: q.Tag, HasChannel: q.HasChannel, OptedOut: q.OptedOut}
	if q.GroupID != "" {
		id, err := uuid.Parse(q.GroupID)
		if err != nil {
			return ListParams{}, fault.Field("query.group_id", "must be a group id", q.GroupID)
		}
		f.GroupID = &id
	}
	return ListParams{ContactFilter: f, Sort: q.Sort, Cursor: q.Cursor, Limit: q.Limit}, nil
}

// check validates what List would, so that a streamed answer fails before
// its first byte.
func (p ListParams) check() error {
	if _, err := p.ContactFilter.args("query"); err != nil {
		return err
	}
	switch p.Sort {
	case "", SortCreatedDesc, SortCreatedAsc, SortNameDesc, SortNameAsc, SortEmailDesc, SortEmailAsc:
	default:
		return fault.Field("query.sort", "must be one of created_at, -created_at, name, -name, email, -email", p.Sort)
	}
	return nil
}

type contactOutput struct{ Body Contact }

type countBody struct {
	Body struct {
		Affected int64 `json:"affected" doc:"How many rows the action changed."`
	}
}

// csvStream answers with a CSV written by write, streamed to the client as
// it is produced (fasthttp's body stream), so that memory stays flat. The
// request has been checked already: errors from here on can only cut the
// file short, and are logged.
func csvStream(ctx context.Context, filename string, write func(ctx context.Context, w io.Writer) error) *huma.StreamResponse {
	logger := zerolog.Ctx(ctx)
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Disposition", contentDisposition(filename))
		hctx.SetHeader("Cache-Control", "no-store")
		hctx.SetStatus(http.StatusOK)
		// The writer runs after the handler returns, outside the request's
		// lifetime: it gets its own context, with the request's logger.
		bg, cancel := context.WithTimeout(logger.WithContext(context.WithoutCancel(ctx)), 30*time.Minute)
		httpserver.HumaContext(hctx).Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer cancel()
			if err := write(bg, w); err != nil {
				logger.Error().Err(err).Str("file", filename).Msg("streaming CSV failed")
			}
			_ = w.Flush()
		})
	}}
}

var csvResponses = map[string]*huma.Response{
	"200": {Description: "CSV, UTF-8, with a header row", Content: map[string]*huma.MediaType{
		"text/csv": {Schema: &huma.Schema{Type: "string"}},
	}},
}

// FileUpload is an operation input that reads a CSV upload as a stream:
// the handler never holds the file whole. Embed it in the input struct and
// call File; document the body with DocumentCSVBody.
type FileUpload struct {
	Filename    string `query:"filename" maxLength:"200" doc:"The file's name when the body is the CSV itself (text/csv)."`
	ContentType string `header:"Content-Type"`
	body        io.Reader
}

// Resolve keeps the body reader for the handler.
func (u *FileUpload) Resolve(ctx huma.Context) []error {
	u.body = ctx.BodyReader()
	return nil
}

// UploadReadTimeout bounds the reading of an uploaded file: a gigabyte at
// about a megabyte a second.
const UploadReadTimeout = 30 * time.Minute

// DocumentCSVBody declares the upload body of the POST operation at path
// in the OpenAPI document, and has the server stream it to the handler
// past its body limit, up to MaxImportBytes within UploadReadTimeout. It is
// done after registering: declared up front, Huma would parse the body
// itself instead of leaving the stream to the handler.
func DocumentCSVBody(api huma.API, path string) {
	if pi := api.OpenAPI().Paths[path]; pi != nil && pi.Post != nil {
		httpserver.StreamBody(pi.Post, MaxImportBytes, UploadReadTimeout)
		pi.Post.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"multipart/form-data": {Schema: &huma.Schema{Type: "object", Required: []string{"file"}, Properties: map[string]*huma.Schema{
				"file": {Type: "string", Format: "binary", Description: "The CSV file."},
			}}},
			"text/csv": {Schema: &huma.Schema{Type: "string"}},
		}}
	}
}

// File finds the CSV in the request: the "file" part of a multipart form,
// or the body itself. It returns the file's name too.
func (u *FileUpload) File() (io.Reader, string, error) {
	mt, params, err := mime.ParseMediaType(u.ContentType)
	if err != nil {
		return nil, "", fault.Field("header.Content-Type", "must be multipart/form-data (a file field) or text/csv", u.ContentType)
	}
	switch mt {
	case "text/csv", "text/plain", "application/csv", "application/octet-stream":
		return u.body, u.Filename, nil
	case "multipart/form-data":
		mr := multipart.NewReader(u.body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, "", fault.Field("body.file", "is required: send the CSV as the form's file field", nil)
			}
			if err != nil {
				return nil, "", fault.New(fault.BadRequest, "the multipart body cannot be read")
			}
			if part.FormName() == "file" {
				return part, part.FileName(), nil
			}
		}
	}
	return nil, "", fault.Field("header.Content-Type", "must be multipart/form-data (a file field) or text/csv", u.ContentType)
}

// Register mounts the routes. Paths with a fixed segment come before the
// {id} paths they would otherwise be taken for.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Contacts"}
	read := auth.Access{Role: auth.RoleViewer, Scope: "contacts:read"}
	write := auth.Access{Role: auth.RoleMember, Scope: "contacts:write"}
	// Exports carry every contact out of the system: members and up.
	export := auth.Access{Role: auth.RoleMember, Scope: "contacts:read"}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "export-contacts", Method: http.MethodGet, Path: "/api/v1/contacts/export.csv", Tags: tags,
		Summary:     "Export contacts as CSV",
		Description: "The contacts matching the list's filter, in its sort order, streamed. Columns are named like the import's targets, one per attribute in use, so the file imports back as it is.",
		Responses:   csvResponses, Errors: []int{http.StatusUnprocessableEntity},
	}, export), func(ctx context.Context, in *ListQuery) (*huma.StreamResponse, error) {
		p, err := in.params()
		if err != nil {
			return nil, err
		}
		if err := p.check(); err != nil {
			return nil, err
		}
		orgID := auth.PrincipalFrom(ctx).OrgID
		return csvStream(ctx, "contacts.csv", func(ctx context.Context, w io.Writer) error {
			return Export(ctx, h.DB, orgID, p.ContactFilter, p.Sort, w)
		}), nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "bulk-delete-contacts", Method: http.MethodPost, Path: "/api/v1/contacts/bulk-delete", Tags: tags,
		Summary: "Delete many contacts", Description: "By ids, or every contact matching a filter (the list's current one), in one statement.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body ContactSelection }) (*countBody, error) {
		n, err := BulkDelete(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.Body)
		if err != nil {
			return nil, err
		}
		out := &countBody{}
		out.Body.Affected = n
		return out, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "bulk-group-contacts", Method: http.MethodPost, Path: "/api/v1/contacts/bulk-groups", Tags: tags,
		Summary:     "Add many contacts to groups, or remove them",
		Description: "By ids, or every contact matching a filter, in one statement. affected counts the memberships added or removed.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		Body struct {
			ContactSelection
			Action   string      `json:"action" enum:"add,remove"`
			GroupIDs []uuid.UUID `json:"group_ids" minItems:"1" maxItems:"50"`
		}
	}) (*countBody, error) {
		orgID := auth.PrincipalFrom(ctx).OrgID
		var n int64
		var err error
		if in.Body.Action == "remove" {
			n, err = RemoveFromGroups(ctx, h.DB, orgID, in.Body.ContactSelection, in.Body.GroupIDs)
		} else {
			n, err = AddToGroups(ctx, h.DB, orgID, in.Body.ContactSelection, in.Body.GroupIDs)
		}
		if err != nil {
			return nil, err
		}
		out := &countBody{}
		out.Body.Affected = n
		return out, nil
	})

	h.registerImports(api, read, write)

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-contacts", Method: http.MethodGet, Path: "/api/v1/contacts", Tags: tags,
		Summary:     "List contacts",
		Description: "Search, filters, a sort order and keyset pages: pass next_cursor back as cursor for the next page.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *ListQuery) (*struct{ Body ContactPage }, error) {
		p, err := in.params()
		if err != nil {
			return nil, err
		}
		page, err := List(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, p)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ContactPage }{Body: page}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-contact", Method: http.MethodPost, Path: "/api/v1/contacts", Tags: tags,
		Summary: "Create a contact",
		Description: "Phone and WhatsApp numbers may be local to the org's default country. A value (email, phone, WhatsApp, " +
			"Telegram chat id, Instagram id) that another contact holds is a 409 naming that contact.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body ContactInput }) (*contactOutput, error) {
		c, err := Create(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.Body, h.Now())
		if err != nil {
			return nil, err
		}
		return &contactOutput{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-contact", Method: http.MethodGet, Path: "/api/v1/contacts/{id}", Tags: tags,
		Summary: "Get a contact", Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*contactOutput, error) {
		c, err := Get(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &contactOutput{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-contact", Method: http.MethodPatch, Path: "/api/v1/contacts/{id}", Tags: tags,
		Summary:     "Change a contact",
		Description: "Fields left out stay; an empty string clears a channel field; attributes and tags are replaced when given.",
		Errors:      []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		IDPath
		Body ContactInput
	}) (*contactOutput, error) {
		c, err := Update(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &contactOutput{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-contact", Method: http.MethodDelete, Path: "/api/v1/contacts/{id}", Tags: tags,
		Summary: "Delete a contact", Description: "Its suppressions stay: they are kept by address.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound},
	}, write), func(ctx context.Context, in *IDPath) (*struct{}, error) {
		return nil, Delete(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
	})

	h.registerGroups(api, read, write)
}

func (h *Handlers) registerImports(api huma.API, read, write auth.Access) {
	tags := []string{"Contact imports"}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "upload-contact-import", Method: http.MethodPost, Path: "/api/v1/contacts/imports", Tags: tags,
		Summary: "Upload a CSV file to import",
		Description: "A UTF-8 CSV with a header row, as the file field of a multipart form or as a text/csv body. " +
			"The file is stored and its rows counted in the background; then preview it and start it with a mapping.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *FileUpload) (*struct{ Body ContactImport }, error) {
		r, name, err := in.File()
		if err != nil {
			return nil, err
		}
		p := auth.PrincipalFrom(ctx)
		im, err := Upload(ctx, h.DB, h.Jobs, p.OrgID, p.CreatedBy(), name, r)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ContactImport }{Body: im}, nil
	})
	DocumentCSVBody(api, "/api/v1/contacts/imports")

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-contact-imports", Method: http.MethodGet, Path: "/api/v1/contacts/imports", Tags: tags,
		Summary: "List recent imports",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body ListBody[ContactImport] }, error) {
		ims, err := ListImports(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ListBody[ContactImport] }{Body: ListBody[ContactImport]{Items: ims}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-contact-import", Method: http.MethodGet, Path: "/api/v1/contacts/imports/{id}", Tags: tags,
		Summary: "Get an import and its progress", Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body ContactImport }, error) {
		im, err := GetImport(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ContactImport }{Body: im}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "preview-contact-import", Method: http.MethodGet, Path: "/api/v1/contacts/imports/{id}/preview", Tags: tags,
		Summary: "ImportPreview an import", Description: "The header, the first rows and a proposed mapping.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *struct {
		IDPath
		Delimiter string `query:"delimiter" maxLength:"3" doc:"Read with this delimiter (, ; | or tab) instead of the detected one."`
	}) (*struct{ Body ImportPreview }, error) {
		p, err := PreviewImport(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, in.Delimiter)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ImportPreview }{Body: *p}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "start-contact-import", Method: http.MethodPost, Path: "/api/v1/contacts/imports/{id}/start", Tags: tags,
		Summary: "Start an import with a mapping",
		Description: "Rows are normalized, deduplicated within the file and merged into existing contacts (filling empty " +
			"fields unless overwrite); poll the import for progress.",
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		IDPath
		Body ImportStart
	}) (*struct{ Body ContactImport }, error) {
		im, err := StartImport(ctx, h.DB, h.Jobs, auth.PrincipalFrom(ctx).OrgID, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ContactImport }{Body: im}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "download-contact-import-rejects", Method: http.MethodGet, Path: "/api/v1/contacts/imports/{id}/rejects.csv", Tags: tags,
		Summary:     "Download the rejected rows",
		Description: "CSV: the line in the file, the reason, then the row as it was.",
		Responses:   csvResponses, Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*huma.StreamResponse, error) {
		orgID := auth.PrincipalFrom(ctx).OrgID
		if err := CheckRejects(ctx, h.DB, orgID, in.ID); err != nil {
			return nil, err
		}
		return csvStream(ctx, "rejects.csv", func(ctx context.Context, w io.Writer) error {
			return WriteRejects(ctx, h.DB, orgID, in.ID, w)
		}), nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-contact-import", Method: http.MethodDelete, Path: "/api/v1/contacts/imports/{id}", Tags: tags,
		Summary: "Delete an import", Description: "With its file and rejects; the contacts it made stay. Not while it runs.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, write), func(ctx context.Context, in *IDPath) (*struct{}, error) {
		return nil, DeleteImport(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
	})
}

func (h *Handlers) registerGroups(api huma.API, read, write auth.Access) {
	tags := []string{"Groups"}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-groups", Method: http.MethodGet, Path: "/api/v1/groups", Tags: tags,
		Summary: "List groups", Description: "By name, with their contact counts.",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body ListBody[Group] }, error) {
		gs, err := ListGroups(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ListBody[Group] }{Body: ListBody[Group]{Items: gs}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-group", Method: http.MethodPost, Path: "/api/v1/groups", Tags: tags,
		Summary: "Create a group", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body GroupInput }) (*struct{ Body Group }, error) {
		g, err := CreateGroup(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Group }{Body: g}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-group", Method: http.MethodGet, Path: "/api/v1/groups/{id}", Tags: tags,
		Summary: "Get a group", Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body Group }, error) {
		g, err := GetGroup(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Group }{Body: g}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-group", Method: http.MethodPatch, Path: "/api/v1/groups/{id}", Tags: tags,
		Summary: "Change a group", Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		IDPath
		Body GroupInput
	}) (*struct{ Body Group }, error) {
		g, err := UpdateGroup(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Group }{Body: g}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-group", Method: http.MethodDelete, Path: "/api/v1/groups/{id}", Tags: tags,
		Summary: "Delete a group", Description: "Its contacts stay.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound},
	}, write), func(ctx context.Context, in *IDPath) (*struct{}, error) {
		return nil, DeleteGroup(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-group-contacts", Method: http.MethodGet, Path: "/api/v1/groups/{id}/contacts", Tags: tags,
		Summary:     "List a group's contacts",
		Description: "The contact list's search, filters, sort and pages, within the group.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *struct {
		IDPath
		ListQuery
	}) (*struct{ Body ContactPage }, error) {
		orgID := auth.PrincipalFrom(ctx).OrgID
		if err := groupExists(ctx, h.DB, orgID, in.ID); err != nil {
			return nil, err
		}
		in.GroupID = ""
		p, err := in.params()
		if err != nil {
			return nil, err
		}
		id := in.ID
		p.ContactFilter.GroupID = &id
		page, err := List(ctx, h.DB, orgID, p)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ContactPage }{Body: page}, nil
	})
}

// contentDisposition is the attachment header for name.
func contentDisposition(name string) string {
	return `attachment; filename="` + strings.ReplaceAll(name, `"`, "") + `"`
}
