package secretbox

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpen(t *testing.T) {
	t.Parallel()

	type testBundle struct{ box *Box }
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		box, err := New(testKey(7))
		require.NoError(t, err)
		return &testBundle{box: box}
	}
	aad := []byte("org-1|email")

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, pt := range [][]byte{nil, {}, []byte("x"), []byte(`{"api_key":"SG.abc.def"}`), bytes.Repeat([]byte("z"), 1<<16)} {
			sealed, err := b.box.Seal(pt, aad)
			require.NoError(t, err)
			require.Len(t, sealed, len(pt)+Overhead)
			require.Equal(t, Version, sealed[0])
			got, err := b.box.Open(sealed, aad)
			require.NoError(t, err)
			require.Equal(t, string(pt), string(got))
		}
	})

	t.Run("FreshNonce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		one, err := b.box.Seal([]byte("secret"), aad)
		require.NoError(t, err)
		two, err := b.box.Seal([]byte("secret"), aad)
		require.NoError(t, err)
		require.NotEqual(t, one, two, "the same value sealed twice must not repeat")
		require.NotContains(t, string(one), "secret")
	})

	t.Run("WrongAAD", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		sealed, err := b.box.Seal([]byte("secret"), aad)
		require.NoError(t, err)
		for _, other := range [][]byte{nil, []byte("org-2|email"), []byte("org-1|whatsapp"), []byte("org-1|email ")} {
			_, err := b.box.Open(sealed, other)
			require.ErrorIs(t, err, ErrOpen, "aad %q", other)
		}
	})

	t.Run("Tampered", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		sealed, err := b.box.Seal([]byte("a secret worth stealing"), aad)
		require.NoError(t, err)
		// Every single-bit flip past the version byte is caught.
		for i := 1; i < len(sealed); i++ {
			for bit := range 8 {
				bad := bytes.Clone(sealed)
				bad[i] ^= 1 << bit
				_, err := b.box.Open(bad, aad)
				require.ErrorIs(t, err, ErrOpen, "byte %d bit %d", i, bit)
			}
		}
		// A changed version names a key the box does not have.
		bad := bytes.Clone(sealed)
		bad[0] = 2
		_, err = b.box.Open(bad, aad)
		require.ErrorIs(t, err, ErrVersion)
		// Truncated and appended-to values fail.
		for _, v := range [][]byte{nil, sealed[:Overhead-1], sealed[:len(sealed)-1], append(bytes.Clone(sealed), 0)} {
			_, err := b.box.Open(v, aad)
			require.ErrorIs(t, err, ErrOpen)
		}
	})

	t.Run("WrongKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		sealed, err := b.box.Seal([]byte("secret"), aad)
		require.NoError(t, err)
		other, err := New(testKey(8))
		require.NoError(t, err)
		_, err = other.Open(sealed, aad)
		require.ErrorIs(t, err, ErrOpen)
	})

	t.Run("KeySize", func(t *testing.T) {
		t.Parallel()
		for _, n := range []int{0, 16, 31, 33, 64} {
			_, err := New(make([]byte, n))
			require.ErrorIs(t, err, ErrKeySize, "%d bytes", n)
		}
	})
}
