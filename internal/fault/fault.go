// Package fault classifies domain errors. A domain declares its sentinels
// with a Kind (`var ErrNotFound = fault.New(fault.NotFound, "contact not
// found")`) and returns them, wrapped or not; the HTTP edge maps the Kind to
// a status once, so domains never import HTTP code.
package fault

import (
	"errors"
	"time"
)

// Kind is what went wrong, from the caller's point of view.
type Kind int

// The kinds of failure a caller can act on.
const (
	Invalid         Kind = iota + 1 // 422: the input is wrong
	BadRequest                      // 400: the request cannot be understood
	Unauthorized                    // 401: no valid credential
	Forbidden                       // 403: the credential may not do this
	NotFound                        // 404: nothing there, or not the caller's
	Conflict                        // 409: the state forbids it
	TooManyRequests                 // 429: slow down
	Unavailable                     // 503: try later
	NotImplemented                  // 501: not configured on this server
)

// Error is a classified failure with a message safe to show the caller.
type Error struct {
	Kind    Kind
	Message string
	// Fields name the inputs at fault (location like "body.email").
	Fields []FieldError
	// RetryAfter, for TooManyRequests and Unavailable.
	RetryAfter time.Duration
	// ExistingID names the resource a Conflict collided with, so a client
	// can go to it instead of parsing the message.
	ExistingID string
}

// FieldError is one input at fault.
type FieldError struct {
	Location string
	Message  string
	Value    any
}

func (e *Error) Error() string { return e.Message }

// New declares a classified error.
func New(kind Kind, message string) *Error { return &Error{Kind: kind, Message: message} }

// Field returns an Invalid error naming one input.
func Field(location, message string, value any) *Error {
	return &Error{Kind: Invalid, Message: "validation failed", Fields: []FieldError{{Location: location, Message: message, Value: value}}}
}

// Fields returns an Invalid error naming several inputs; nil when there are none.
func Fields(fields ...FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: "validation failed", Fields: fields}
}

// RateLimited returns a TooManyRequests error.
func RateLimited(message string, retryAfter time.Duration) *Error {
	return &Error{Kind: TooManyRequests, Message: message, RetryAfter: retryAfter}
}

// As finds the classified error in err's chain.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}
