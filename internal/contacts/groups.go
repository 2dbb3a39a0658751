package contacts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ErrGroupNameTaken is a group name already used in the org (names compare
// case-insensitively).
var ErrGroupNameTaken = fault.New(fault.Conflict, "a group with this name already exists")

// Group is a named set of contacts.
type Group struct {
	ID           uuid.UUID `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	Color        string    `json:"color" doc:"A hex color like #1c7ed6, or empty."`
	ContactCount int64     `json:"contact_count"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// GroupInput is a group's editable fields; on update, those left out stay.
type GroupInput struct {
	Name        *string `json:"name,omitempty" required:"false" maxLength:"100"`
	Description *string `json:"description,omitempty" required:"false" maxLength:"1000"`
	Color       *string `json:"color,omitempty" required:"false" maxLength:"7" doc:"A hex color like #1c7ed6; empty for none."`
}

var hexColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

func (in *GroupInput) validate() error {
	var fields []fault.FieldError
	if in.Name != nil {
		n := strings.Join(strings.Fields(*in.Name), " ")
		in.Name = &n
		if n == "" || utf8.RuneCountInString(n) > 100 {
			fields = append(fields, fault.FieldError{Location: "body.name", Message: "must be 1 to 100 characters", Value: n})
		}
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		in.Description = &d
	}
	if in.Color != nil {
		c := strings.ToLower(strings.TrimSpace(*in.Color))
		in.Color = &c
		if c != "" && !hexColor.MatchString(c) {
			fields = append(fields, fault.FieldError{Location: "body.color", Message: "must be a hex color like #1c7ed6", Value: c})
		}
	}
	return fault.Fields(fields...)
}

func groupFromRow(g dbsqlc.ContactGroup, count int64) Group {
	return Group{ID: g.ID, Name: g.Name, Description: g.Description, Color: g.Color, ContactCount: count, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

// CreateGroup adds a group.
func CreateGroup(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, in GroupInput) (Group, error) {
	if in.Name == nil {
		return Group{}, fault.Field("body.name", "is required", nil)
	}
	if err := in.validate(); err != nil {
		return Group{}, err
	}
	g, err := dbsqlc.New().CreateGroup(ctx, db, dbsqlc.CreateGroupParams{
		OrgID: orgID, Name: *in.Name, Description: deref(in.Description), Color: deref(in.Color),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Group{}, ErrGroupNameTaken
	}
	if err != nil {
		return Group{}, fmt.Errorf("inserting group: %w", err)
	}
	return groupFromRow(g, 0), nil
}

// GetGroup returns the group with its member count.
func GetGroup(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Group, error) {
	r, err := dbsqlc.New().GetGroup(ctx, db, dbsqlc.GetGroupParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Group{}, ErrGroupNotFound
	}
	if err != nil {
		return Group{}, fmt.Errorf("reading group: %w", err)
	}
	return Group{ID: r.ID, Name: r.Name, Description: r.Description, Color: r.Color, ContactCount: r.ContactCount, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

// ListGroups returns the org's groups by name, with their member counts.
func ListGroups(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) ([]Group, error) {
	rows, err := dbsqlc.New().ListGroups(ctx, db, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", err)
	}
	out := make([]Group, len(rows))
	for i, r := range rows {
		out[i] = Group{ID: r.ID, Name: r.Name, Description: r.Description, Color: r.Color, ContactCount: r.ContactCount, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// UpdateGroup changes the given fields.
func UpdateGroup(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, in GroupInput) (Group, error) {
	if err := in.validate(); err != nil {
		return Group{}, err
	}
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		_, err := dbsqlc.New().UpdateGroup(ctx, tx, dbsqlc.UpdateGroupParams{OrgID: orgID, ID: id, Name: in.Name, Description: in.Description, Color: in.Color})
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Group{}, ErrGroupNotFound
	case dbutil.IsUniqueViolation(err, "contact_groups_name_key"):
		return Group{}, ErrGroupNameTaken
	case err != nil:
		return Group{}, fmt.Errorf("updating group: %w", err)
	}
	return GetGroup(ctx, db, orgID, id)
}

// DeleteGroup removes the group; its contacts stay.
func DeleteGroup(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) error {
	n, err := dbsqlc.New().DeleteGroup(ctx, db, dbsqlc.DeleteGroupParams{OrgID: orgID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting group: %w", err)
	}
	if n == 0 {
		return ErrGroupNotFound
	}
	return nil
}

func groupExists(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) error {
	ok, err := dbsqlc.New().GroupExists(ctx, db, dbsqlc.GroupExistsParams{OrgID: orgID, ID: id})
	if err != nil {
		return fmt.Errorf("reading group: %w", err)
	}
	if !ok {
		return ErrGroupNotFound
	}
	return nil
}

// checkGroups makes sure every id is a group of the org, so that a bulk
// action names each unknown one instead of skipping it silently.
func checkGroups(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ids []uuid.UUID, location string) error {
	if len(ids) == 0 {
		return fault.Field(location, "must name at least one group", nil)
	}
	n, err := dbsqlc.New().CountGroupsIn(ctx, db, dbsqlc.CountGroupsInParams{OrgID: orgID, Ids: ids})
	if err != nil {
		return fmt.Errorf("checking groups: %w", err)
	}
	if int(n) != len(uniqueIDs(ids)) {
		return fault.Field(location, "names a group that does not exist", nil)
	}
	return nil
}

func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
