package auth

import "slices"

// Role is a member's role in an org. Each role can do what the ones below it can.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"  // also deletes the org and transfers ownership
	RoleAdmin  Role = "admin"  // manages members, API keys and integrations
	RoleMember Role = "member" // does the work: sends, edits contacts, runs campaigns
	RoleViewer Role = "viewer" // reads
)

var roleRank = map[Role]int{RoleViewer: 1, RoleMember: 2, RoleAdmin: 3, RoleOwner: 4}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return roleRank[r] > 0 }

// AtLeast reports whether r includes min.
func (r Role) AtLeast(min Role) bool { return roleRank[r] >= roleRank[min] && r.Valid() }

// Scope is a permission an API key carries.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Scopes lists every scope a key may be given. Domains add theirs here as
// they gain routes open to API keys.
var Scopes = []Scope{
	{"org:read", "Read the organization's details"},
	{"org:write", "Change the organization's details"},
	{"members:read", "List members and invitations"},
	{"members:write", "Invite, change and remove members"},
	{"api_keys:read", "List API keys and their usage"},
	{"api_keys:write", "Create, revoke and regenerate API keys"},
	{"contacts:read", "List, read and export contacts, groups and imports"},
	{"contacts:write", "Create, change, delete and import contacts and groups"},
	{"suppression:read", "List the suppression list and contacts' consent history"},
	{"suppression:write", "Add to and remove from the suppression list; record opt-outs and resubscribes"},
	{"templates:read", "List, read and preview templates and their versions"},
	{"templates:write", "Create, edit, submit and delete templates; change the email footer"},
	{"templates:approve", "Approve and reject templates; choose each channel's default"},
	{"channels:read", "Read channel settings (secrets show only whether they are set) and webhook URLs"},
	{"channels:write", "Change channel credentials and settings; test connections"},
	{"messages:read", "Read outbound and inbound messages, their events, conversations and logs"},
	{"messages:write", "Send messages, upload attachments and reply in conversations"},
	{"campaigns:read", "List and read campaigns, their estimates and recipients"},
	{"campaigns:write", "Create, edit, start, pause, resume, cancel and delete campaigns"},
	{"pricing:read", "Read the price table campaign estimates use"},
	{"pricing:write", "Change the price table"},
}

// ValidScope reports whether name is a known scope.
func ValidScope(name string) bool {
	return slices.ContainsFunc(Scopes, func(s Scope) bool { return s.Name == name })
}
