package sandbox

import "strings"

// magic is what a recipient forces, whatever the configured rates say, so
// tests get deterministic outcomes.
//
// Markers anywhere in an email, id or username: +invalid (synchronous 400),
// +429, +500, +bounce, +dropped, +deferred, +spam, +open, +click, +read,
// +fail (Twilio failed; an email bounces; Telegram: bot blocked; Instagram:
// outside the 24 h window), +undelivered.
//
// Numbers (phone numbers, chat ids, Instagram ids) by their last four
// digits: 0000 invalid, 0429 rate limited, 0500 server error, 0001 fail,
// 0002 undelivered, 0003 read.
type magic struct {
	invalid     bool
	rateLimit   bool
	serverError bool
	bounce      bool
	dropped     bool
	deferred    bool
	spam        bool
	open        bool
	click       bool
	read        bool
	fail        bool
	undelivered bool
}

// any reports whether anything is forced.
func (m magic) any() bool { return m != magic{} }

// merge combines the magic of several recipients of one request.
func (m magic) merge(o magic) magic {
	return magic{
		invalid: m.invalid || o.invalid, rateLimit: m.rateLimit || o.rateLimit,
		serverError: m.serverError || o.serverError, bounce: m.bounce || o.bounce,
		dropped: m.dropped || o.dropped, deferred: m.deferred || o.deferred,
		spam: m.spam || o.spam, open: m.open || o.open, click: m.click || o.click,
		read: m.read || o.read, fail: m.fail || o.fail, undelivered: m.undelivered || o.undelivered,
	}
}

// magicOf reads the magic of one recipient.
func magicOf(recipient string) magic {
	var m magic
	// Phone numbers get only the digit rules: "+500" is the Falklands.
	if strings.Contains(recipient, "+") && !allDigits(strings.TrimPrefix(recipient, "+")) {
		r := strings.ToLower(recipient)
		m.invalid = strings.Contains(r, "+invalid")
		m.rateLimit = strings.Contains(r, "+429")
		m.serverError = strings.Contains(r, "+500")
		m.bounce = strings.Contains(r, "+bounce")
		m.dropped = strings.Contains(r, "+dropped")
		m.deferred = strings.Contains(r, "+deferred")
		m.spam = strings.Contains(r, "+spam")
		m.click = strings.Contains(r, "+click")
		m.open = m.click || strings.Contains(r, "+open")
		m.read = strings.Contains(r, "+read")
		m.fail = strings.Contains(r, "+fail")
		m.undelivered = strings.Contains(r, "+undelivered")
	}
	if n := len(recipient); n >= 5 && allDigits(recipient[n-4:]) {
		switch recipient[n-4:] {
		case "0000":
			m.invalid = true
		case "0429":
			m.rateLimit = true
		case "0500":
			m.serverError = true
		case "0001":
			m.fail = true
		case "0002":
			m.undelivered = true
		case "0003":
			m.read = true
		}
	}
	return m
}

// isMagicNumber reports whether an id the sandbox makes up would trigger
// magic, so generated ids can avoid it.
func isMagicNumber(id string) bool {
	return magicOf(id).any()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
