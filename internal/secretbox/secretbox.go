// Package secretbox encrypts small secrets at rest (provider credentials)
// with AES-256-GCM under a key derived from the server's SECRETS_KEY.
//
// A sealed value is
//
//	version (1 byte) | nonce (12 bytes, random) | ciphertext | GCM tag (16 bytes)
//
// The version names the key that sealed it, so the key can be rotated
// later: a Box that knows the old key under its version opens old values
// and seals new ones under the new version, and a background job re-seals
// rows until no old version is left. The version byte is authenticated too
// (it is part of the additional data), so it cannot be changed to route a
// value to another key.
//
// The caller's additional data (aad) binds a value to where it is stored,
// for example "org id + channel": a value copied into another row does not
// open there, even though both are sealed under the same key.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the size of the secret a Box is made from.
const KeySize = 32

// Version is the version byte of values sealed by New's key.
const Version byte = 1

// Overhead is how many bytes Seal adds to a plaintext.
const Overhead = 1 + nonceSize + tagSize

const (
	nonceSize = 12
	tagSize   = 16
	// keyInfo separates this use of SECRETS_KEY from its others (the
	// unsubscribe tokens' MAC key is derived from it too).
	keyInfo = "switchboard secretbox v1"
)

// Errors of Open and New.
var (
	ErrKeySize = errors.New("secretbox: the key must be 32 bytes")
	// ErrOpen hides why a value did not open (wrong key, wrong aad,
	// tampered or truncated): the reasons must not be told apart.
	ErrOpen = errors.New("secretbox: the value cannot be opened (wrong key, wrong binding or tampered)")
	// ErrVersion is a value sealed under a key this Box does not have.
	ErrVersion = errors.New("secretbox: the value was sealed with an unknown key version")
)

// Box seals and opens values. It is safe for concurrent use.
type Box struct {
	current byte
	aeads   map[byte]cipher.AEAD
}

// New makes a Box from a 32-byte secret (SECRETS_KEY). The AES key is
// derived from it with HKDF-SHA256, so the same secret can key other
// things without the keys being related.
func New(secret []byte) (*Box, error) {
	aead, err := newAEAD(secret, keyInfo)
	if err != nil {
		return nil, err
	}
	return &Box{current: Version, aeads: map[byte]cipher.AEAD{Version: aead}}, nil
}

func newAEAD(secret []byte, info string) (cipher.AEAD, error) {
	if len(secret) != KeySize {
		return nil, ErrKeySize
	}
	key, err := hkdf.Key(sha256.New, secret, nil, info, 32)
	if err != nil {
		return nil, fmt.Errorf("secretbox: deriving key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext bound to aad. Every call uses a fresh random
// nonce: sealing the same value twice gives different outputs.
func (b *Box) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = b.current
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, fmt.Errorf("secretbox: reading a nonce: %w", err)
	}
	return b.aeads[b.current].Seal(out, out[1:1+nonceSize], plaintext, additional(b.current, aad)), nil
}

// Open decrypts a value made by Seal with the same aad.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrOpen
	}
	aead, ok := b.aeads[sealed[0]]
	if !ok {
		return nil, ErrVersion
	}
	pt, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], additional(sealed[0], aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// additional is the GCM additional data: the version byte, then the caller's aad.
func additional(version byte, aad []byte) []byte {
	a := make([]byte, 0, 1+len(aad))
	a = append(a, version)
	return append(a, aad...)
}
