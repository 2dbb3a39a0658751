// Package templates is what an org says to its contacts: message templates
// per channel, their variables, review and versions, and rendering.
//
// A template is an identity (name, channel, default flag) with a chain of
// versions holding the content. The newest version is what the editor
// shows; the approved version is what sends use. Members write drafts and
// submit them (pending_approval); admins approve or reject them with a
// reason. Editing an approved version adds a new draft version, and the
// approved one stays in use until that draft is approved in its turn, which
// supersedes it. GetUsable and GetDefault are the entry points for the
// domains that send: they only ever return approved content.
//
// Placeholders are `{{name}}` (spaces inside the braces allowed), parsed by
// the small lexer in parser.go, not text/template: there is no logic in a
// template. Names are the built-ins (org.name, unsubscribe_url, and the
// contact fields first_name, last_name, email, phone) or declared variables
// (contact attributes as attributes.<key>, or any value a send provides),
// each with an optional default and sample. A template that uses an
// undeclared variable, or declares one it never uses, is refused with the
// variable named.
//
// Previews render a saved version (PreviewTemplate) or content not saved
// yet (PreviewDraft, for an editor's live preview) through the same code;
// a draft's problems (what saving would refuse) come back as a list, not as
// a 422, so that they can be shown while the user types.
//
// Rendering escapes values in the HTML body only. An email template without
// {{unsubscribe_url}} in a part gets the org's footer there (settings.go);
// a missing plain-text part is derived from the HTML (html_text.go).
package templates
