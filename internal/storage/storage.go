// Package storage keeps the bytes of uploaded attachments and inbound
// media. Rows about files live with their domain (messaging's uploads);
// this package only stores, opens and signs. Local disk is the default;
// an S3-compatible store can implement the same interface.
package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("stored file not found")

// Storage stores files by key.
type Storage interface {
	// Put stores r under key, returning its size and SHA-256. A partial
	// write leaves nothing behind.
	Put(ctx context.Context, key string, r io.Reader) (size int64, sum []byte, err error)
	// Open reads the file under key.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the file; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// NewKey makes a fresh random key under prefix (e.g. the org id), so that
// keys never collide and never carry a user's file name.
func NewKey(prefix string) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return prefix + "/" + base64.RawURLEncoding.EncodeToString(b)
}

// Disk stores files under a directory.
type Disk struct{ Dir string }

// NewDisk makes dir when needed.
func NewDisk(dir string) (*Disk, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating storage directory: %w", err)
	}
	return &Disk{Dir: dir}, nil
}

func (d *Disk) path(key string) (string, error) {
	clean := filepath.Clean("/" + key)
	if key == "" || strings.Contains(key, "..") || clean == "/" {
		return "", fmt.Errorf("invalid storage key %q", key)
	}
	return filepath.Join(d.Dir, filepath.FromSlash(clean)), nil
}

// Put writes to a temporary file and renames it into place.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (int64, []byte, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return 0, nil, fmt.Errorf("creating storage directory: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return 0, nil, fmt.Errorf("creating file: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return 0, nil, fmt.Errorf("storing file: %w", err)
	}
	return n, h.Sum(nil), nil
}

// Open opens the file under key.
func (d *Disk) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Delete removes the file under key.
func (d *Disk) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("deleting file: %w", err)
	}
	return nil
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Signer makes and checks expiring links to files, for providers that
// fetch media by URL (Twilio, Instagram). A link names the file id and its
// expiry and carries an HMAC over both; nothing else grants access.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner derives the link key from secret, so that it differs from
// every other use of the same secret.
func NewSigner(secret []byte, now func() time.Time) *Signer {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("switchboard/storage/signed-url/v1"))
	return &Signer{key: m.Sum(nil), now: now}
}

// Token signs id for ttl.
func (s *Signer) Token(id string, ttl time.Duration) string {
	exp := make([]byte, 8)
	binary.BigEndian.PutUint64(exp, uint64(s.now().Add(ttl).Unix()))
	body := append(exp, id...)
	return base64.RawURLEncoding.EncodeToString(append(body, s.mac(body)...))
}

// Verify returns the id a token was made for, if it is genuine and unexpired.
func (s *Signer) Verify(token string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 8+sha256.Size+1 {
		return "", false
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !hmac.Equal(sum, s.mac(body)) {
		return "", false
	}
	if int64(binary.BigEndian.Uint64(body[:8])) < s.now().Unix() {
		return "", false
	}
	return string(body[8:]), true
}

func (s *Signer) mac(b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(b)
	return m.Sum(nil)
}
