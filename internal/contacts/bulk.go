package contacts

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// MaxBulkIDs bounds a selection by ids; larger sets go by filter.
const MaxBulkIDs = 10000

// ContactSelection is what a bulk action applies to: the contacts with these ids,
// or every contact matching a filter (the list's current filter). Exactly
// one is given. Ids of another org's contacts select nothing.
type ContactSelection struct {
	IDs           []uuid.UUID    `json:"ids,omitempty" required:"false" maxItems:"10000"`
	ContactFilter *ContactFilter `json:"filter,omitempty" required:"false" doc:"Every contact matching it; {} selects every contact of the organization."`
}

func (s ContactSelection) validate() (filterArgs, error) {
	if (s.IDs == nil) == (s.ContactFilter == nil) {
		return filterArgs{}, fault.Field("body", "give either ids or filter", nil)
	}
	if s.ContactFilter == nil {
		if len(s.IDs) > MaxBulkIDs {
			return filterArgs{}, fault.Field("body.ids", fmt.Sprintf("at most %d ids: select larger sets by filter", MaxBulkIDs), nil)
		}
		return filterArgs{}, nil
	}
	return s.ContactFilter.args("body.filter")
}

// BulkDelete deletes the selected contacts in one statement and counts them.
func BulkDelete(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, sel ContactSelection) (int64, error) {
	a, err := sel.validate()
	if err != nil {
		return 0, err
	}
	q := dbsqlc.New()
	var n int64
	if sel.ContactFilter == nil {
		n, err = q.DeleteContactsByID(ctx, db, dbsqlc.DeleteContactsByIDParams{OrgID: orgID, Ids: sel.IDs})
	} else {
		n, err = q.DeleteContactsMatching(ctx, customPlans{db}, dbsqlc.DeleteContactsMatchingParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut})
	}
	if err != nil {
		return 0, fmt.Errorf("deleting contacts: %w", err)
	}
	return n, nil
}

// AddToGroups puts the selected contacts in every group, set-based. It
// counts the memberships added (those already there are left alone).
func AddToGroups(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, sel ContactSelection, groupIDs []uuid.UUID) (int64, error) {
	a, err := sel.validate()
	if err != nil {
		return 0, err
	}
	if err := checkGroups(ctx, db, orgID, groupIDs, "body.group_ids"); err != nil {
		return 0, err
	}
	q := dbsqlc.New()
	var n int64
	if sel.ContactFilter == nil {
		n, err = q.AddContactsToGroupsByID(ctx, db, dbsqlc.AddContactsToGroupsByIDParams{OrgID: orgID, Ids: sel.IDs, GroupIds: groupIDs})
	} else {
		n, err = q.AddContactsMatchingToGroups(ctx, customPlans{db}, dbsqlc.AddContactsMatchingToGroupsParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut, GroupIds: groupIDs})
	}
	if err != nil {
		return 0, fmt.Errorf("adding contacts to groups: %w", err)
	}
	return n, nil
}

// RemoveFromGroups takes the selected contacts out of every group and
// counts the memberships removed.
func RemoveFromGroups(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, sel ContactSelection, groupIDs []uuid.UUID) (int64, error) {
	a, err := sel.validate()
	if err != nil {
		return 0, err
	}
	if err := checkGroups(ctx, db, orgID, groupIDs, "body.group_ids"); err != nil {
		return 0, err
	}
	q := dbsqlc.New()
	var n int64
	if sel.ContactFilter == nil {
		n, err = q.RemoveContactsFromGroupsByID(ctx, db, dbsqlc.RemoveContactsFromGroupsByIDParams{OrgID: orgID, Ids: sel.IDs, GroupIds: groupIDs})
	} else {
		n, err = q.RemoveContactsMatchingFromGroups(ctx, customPlans{db}, dbsqlc.RemoveContactsMatchingFromGroupsParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut, GroupIds: groupIDs})
	}
	if err != nil {
		return 0, fmt.Errorf("removing contacts from groups: %w", err)
	}
	return n, nil
}
