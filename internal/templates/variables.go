package templates

import (
	"fmt"
	"slices"
	"strings"
)

// TemplateVariable is a declared template variable. Every placeholder a template
// uses must be declared, except the built-ins; every declared variable must
// be used.
type TemplateVariable struct {
	Name string `json:"name" maxLength:"100" example:"attributes.plan" doc:"The placeholder's name, as written between {{ and }}."`
	// Default is used when a send has no value for the variable. Nil means
	// no default: the value is then reported missing.
	Default *string `json:"default" required:"false" maxLength:"2000" doc:"Used when a send has no value; null (or absent) for none, so the value is reported missing."`
	// Sample is what previews without a contact show.
	Sample *string `json:"sample" required:"false" maxLength:"2000" doc:"Shown by previews without a contact."`
}

// The built-in variables, which templates use without declaring them.
const (
	// VarOrgName is the sending org's name.
	VarOrgName = "org.name"
	// VarUnsubscribeURL is the recipient's one-click unsubscribe link.
	VarUnsubscribeURL = "unsubscribe_url"
	// VarFirstName and the other contact fields come from the recipient.
	VarFirstName = "first_name"
	VarLastName  = "last_name"
	VarEmail     = "email"
	VarPhone     = "phone"
)

// SystemVariables are filled by the platform on every send: they cannot be
// declared (they always have a value).
var SystemVariables = []string{VarOrgName, VarUnsubscribeURL}

// ContactVariables are the recipient's fields. They need no declaration but
// may be declared to give them a default ("Hi {{first_name}}" with default
// "there") or a sample. A contact's free-form attributes are reached as
// attributes.<key> and, being free-form, must be declared.
var ContactVariables = []string{VarFirstName, VarLastName, VarEmail, VarPhone}

// AttributesPrefix starts the names of contact attributes.
const AttributesPrefix = "attributes."

// reservedPrefix is the namespace of system values; org.name is its only member.
const reservedPrefix = "org."

// builtinSamples fill the built-ins in previews without a contact.
var builtinSamples = map[string]string{
	VarFirstName: "Ada",
	VarLastName:  "Lovelace",
	VarEmail:     "ada@example.com",
	VarPhone:     "+15555550123",
}

// IsBuiltin reports whether name needs no declaration.
func IsBuiltin(name string) bool {
	return slices.Contains(SystemVariables, name) || slices.Contains(ContactVariables, name)
}

// fieldRefs is one template field's placeholders, with where to report them.
type fieldRefs struct {
	location string
	parsed   *Parsed
}

// fieldError is one problem with a field, reported as a 422 entry (or,
// by previews of drafts, as a Problem).
type fieldError struct {
	location string
	message  string
	value    any
	kind     ProblemKind
}

// ProblemKind says what sort of problem a template has, so that an editor
// can show it where it belongs: by the field, or by the declaration.
type ProblemKind string

// The kinds of problem.
const (
	// ProblemSyntax is a malformed placeholder.
	ProblemSyntax ProblemKind = "syntax"
	// ProblemUndeclared is a placeholder whose variable is not declared
	// (or that the platform does not supply).
	ProblemUndeclared ProblemKind = "undeclared"
	// ProblemUnused is a declared variable no field uses.
	ProblemUnused ProblemKind = "unused"
	// ProblemDeclaration is a declaration that cannot stand: a bad or
	// reserved name, or one declared twice.
	ProblemDeclaration ProblemKind = "declaration"
	// ProblemContent is anything else: a required field, a length limit, a
	// field the channel does not take.
	ProblemContent ProblemKind = "content"
)

// checkVariables validates the declared variables against the placeholders
// of the fields: syntax, undeclared names, unused declarations, duplicates,
// and names nobody could ever supply.
func checkVariables(fields []fieldRefs, vars []TemplateVariable) []fieldError {
	var errs []fieldError
	declared := make(map[string]int, len(vars))
	for i, v := range vars {
		loc := fmt.Sprintf("body.variables[%d].name", i)
		if msg := checkName(v.Name); v.Name == "" || msg != "" {
			if v.Name == "" {
				msg = "is required"
			}
			errs = append(errs, fieldError{loc, msg, v.Name, ProblemDeclaration})
			continue
		}
		if _, dup := declared[v.Name]; dup {
			errs = append(errs, fieldError{loc, fmt.Sprintf("declares %q twice", v.Name), v.Name, ProblemDeclaration})
			continue
		}
		declared[v.Name] = i
		if slices.Contains(SystemVariables, v.Name) {
			errs = append(errs, fieldError{loc, fmt.Sprintf("%q is supplied by the platform on every send; do not declare it", v.Name), v.Name, ProblemDeclaration})
		} else if strings.HasPrefix(v.Name, reservedPrefix) {
			errs = append(errs, fieldError{loc, fmt.Sprintf("%q is not a variable the platform supplies (org.name is the only org variable)", v.Name), v.Name, ProblemDeclaration})
		}
	}

	used := map[string]bool{}
	for _, f := range fields {
		for _, se := range f.parsed.Errors {
			errs = append(errs, fieldError{f.location, se.Error(), nil, ProblemSyntax})
		}
		reported := map[string]bool{}
		for _, r := range f.parsed.Refs {
			used[r.Name] = true
			if reported[r.Name] {
				continue
			}
			_, isDeclared := declared[r.Name]
			switch {
			case isDeclared || IsBuiltin(r.Name):
			case strings.HasPrefix(r.Name, reservedPrefix):
				reported[r.Name] = true
				errs = append(errs, fieldError{f.location, fmt.Sprintf("uses %q (%s), which the platform does not supply: org.name is the only org variable", r.Name, r.Pos), r.Name, ProblemUndeclared})
			default:
				reported[r.Name] = true
				errs = append(errs, fieldError{f.location, fmt.Sprintf("uses the undeclared variable %q (%s): declare it under variables", r.Name, r.Pos), r.Name, ProblemUndeclared})
			}
		}
	}
	for i, v := range vars {
		if n, ok := declared[v.Name]; ok && n == i && !used[v.Name] {
			errs = append(errs, fieldError{fmt.Sprintf("body.variables[%d].name", i), fmt.Sprintf("declares %q but no field uses it", v.Name), v.Name, ProblemUnused})
		}
	}
	return errs
}
