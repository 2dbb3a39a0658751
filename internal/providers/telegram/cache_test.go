package telegram

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBotCacheIsBounded(t *testing.T) {
	t.Parallel()

	c := New("http://127.0.0.1:1", nil)
	c.max = 2
	a, err := c.bot("send", "1:a")
	require.NoError(t, err)
	_, err = c.bot("send", "2:b")
	require.NoError(t, err)
	again, err := c.bot("send", "1:a") // now most recently used
	require.NoError(t, err)
	require.Same(t, a, again)
	_, err = c.bot("send", "3:c") // evicts 2:b
	require.NoError(t, err)
	require.Len(t, c.bots, 2)
	require.Contains(t, c.bots, "1:a")
	require.Contains(t, c.bots, "3:c")
	require.NotContains(t, c.bots, "2:b")
}
