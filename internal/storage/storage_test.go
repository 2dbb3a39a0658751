package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDisk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := NewDisk(t.TempDir())
	require.NoError(t, err)

	key := NewKey("org")
	data := bytes.Repeat([]byte("switchboard "), 10000)
	n, sum, err := d.Put(ctx, key, bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), n)
	want := sha256.Sum256(data)
	require.Equal(t, want[:], sum)

	rc, err := d.Open(ctx, key)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, rc.Close())
	require.NoError(t, err)
	require.Equal(t, data, got)

	require.NoError(t, d.Delete(ctx, key))
	require.NoError(t, d.Delete(ctx, key))
	_, err = d.Open(ctx, key)
	require.ErrorIs(t, err, ErrNotFound)

	_, _, err = d.Put(ctx, "../escape", strings.NewReader("x"))
	require.Error(t, err)
}

func TestDiskPutFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := NewDisk(t.TempDir())
	require.NoError(t, err)
	key := NewKey("org")
	_, _, err = d.Put(ctx, key, io.MultiReader(strings.NewReader("partial"), errReader{}))
	require.Error(t, err)
	_, err = d.Open(ctx, key)
	require.ErrorIs(t, err, ErrNotFound)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestSigner(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	tok := s.Token("file-1", time.Hour)

	id, ok := s.Verify(tok)
	require.True(t, ok)
	require.Equal(t, "file-1", id)

	other := NewSigner([]byte("another secret, another key....."), func() time.Time { return now })
	_, ok = other.Verify(tok)
	require.False(t, ok, "another key")

	raw := []byte(tok)
	raw[len(raw)/2] ^= 1
	_, ok = s.Verify(string(raw))
	require.False(t, ok, "tampered")

	later := NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now.Add(2 * time.Hour) })
	_, ok = later.Verify(tok)
	require.False(t, ok, "expired")

	_, ok = s.Verify("garbage")
	require.False(t, ok)
}
