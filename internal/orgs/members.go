package orgs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Member is a user's membership as the org sees it.
type Member struct {
	UserID   uuid.UUID `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Role     auth.Role `json:"role" enum:"owner,admin,member,viewer"`
	JoinedAt time.Time `json:"joined_at"`
}

func memberFromRow(r dbsqlc.GetMemberRow) Member {
	return Member{UserID: r.UserID, Email: r.Email, Name: r.Name, Role: auth.Role(r.Role), JoinedAt: r.CreatedAt}
}

// ListMembers returns the org's members, owner first.
func ListMembers(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) ([]Member, error) {
	rows, err := dbsqlc.New().ListMembers(ctx, db, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = memberFromRow(dbsqlc.GetMemberRow(r))
	}
	return out, nil
}

// GetMember returns one member of the org.
func GetMember(ctx context.Context, db dbutil.Executor, orgID, userID uuid.UUID) (Member, error) {
	r, err := dbsqlc.New().GetMember(ctx, db, dbsqlc.GetMemberParams{OrgID: orgID, UserID: userID})
	if errors.Is(err, pgx.ErrNoRows) {
		return Member{}, ErrMemberNotFound
	}
	if err != nil {
		return Member{}, fmt.Errorf("reading member: %w", err)
	}
	return memberFromRow(r), nil
}

// checkAssignable: roles given through members and invitations; owner moves only by transfer.
func checkAssignable(location string, role auth.Role) error {
	switch role {
	case auth.RoleAdmin, auth.RoleMember, auth.RoleViewer:
		return nil
	case auth.RoleOwner:
		return fault.Field(location, "ownership moves only by transfer (POST /api/v1/org/transfer-ownership)", role)
	}
	return fault.Field(location, "must be admin, member or viewer", role)
}

// SetRole changes a member's role. The owner cannot be changed here.
func SetRole(ctx context.Context, db dbutil.Executor, orgID, userID uuid.UUID, role auth.Role) (Member, error) {
	if err := checkAssignable("body.role", role); err != nil {
		return Member{}, err
	}
	m, err := GetMember(ctx, db, orgID, userID)
	if err != nil {
		return Member{}, err
	}
	if m.Role == auth.RoleOwner {
		return Member{}, ErrOwnerImmutable
	}
	if _, err := dbsqlc.New().SetMemberRole(ctx, db, dbsqlc.SetMemberRoleParams{Role: string(role), OrgID: orgID, UserID: userID}); err != nil {
		return Member{}, fmt.Errorf("setting role: %w", err)
	}
	m.Role = role
	return m, nil
}

// RemoveMember takes a member out of the org; their sessions lose it as
// their active org. The owner cannot be removed.
func RemoveMember(ctx context.Context, db dbutil.Executor, orgID, userID uuid.UUID) error {
	m, err := GetMember(ctx, db, orgID, userID)
	if err != nil {
		return err
	}
	if m.Role == auth.RoleOwner {
		return ErrOwnerImmutable
	}
	return dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		if _, err := q.RemoveMember(ctx, tx, dbsqlc.RemoveMemberParams{OrgID: orgID, UserID: userID}); err != nil {
			return fmt.Errorf("removing member: %w", err)
		}
		return q.RevokeUserRefreshTokensInOrg(ctx, tx, dbsqlc.RevokeUserRefreshTokensInOrgParams{UserID: userID, OrgID: uuid.NullUUID{UUID: orgID, Valid: true}})
	})
}

// TransferOwnership makes another member the owner; the old owner becomes an admin.
func TransferOwnership(ctx context.Context, db dbutil.Executor, orgID, fromUserID, toUserID uuid.UUID) error {
	if fromUserID == toUserID {
		return fault.Field("body.user_id", "is already the owner", toUserID)
	}
	return dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		if _, err := GetMember(ctx, tx, orgID, toUserID); err != nil {
			return err
		}
		// Demote first: one owner per org is a unique index.
		if _, err := q.SetMemberRole(ctx, tx, dbsqlc.SetMemberRoleParams{Role: string(auth.RoleAdmin), OrgID: orgID, UserID: fromUserID}); err != nil {
			return fmt.Errorf("demoting owner: %w", err)
		}
		if _, err := q.SetMemberRole(ctx, tx, dbsqlc.SetMemberRoleParams{Role: string(auth.RoleOwner), OrgID: orgID, UserID: toUserID}); err != nil {
			return fmt.Errorf("promoting new owner: %w", err)
		}
		return nil
	})
}
