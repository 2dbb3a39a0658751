package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConcurrentCallersShareBatches(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	release := make(chan struct{})
	b := New(10, 1, time.Second, func(_ context.Context, items []int) ([]int, []error) {
		mu.Lock()
		sizes = append(sizes, len(items))
		mu.Unlock()
		<-release
		out, errs := make([]int, len(items)), make([]error, len(items))
		for i, v := range items {
			out[i] = v * 2
			if v == 13 {
				errs[i] = errors.New("unlucky")
			}
		}
		return out, errs
	})
	var wg sync.WaitGroup
	got := make([]int, 25)
	errs := make([]error, 25)
	for i := range 25 {
		wg.Go(func() { got[i], errs[i] = b.Do(context.Background(), i) })
		if i == 0 {
			// The first call starts a batch alone; the rest queue behind it.
			require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 }, time.Second, time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return len(b.calls) == cap(b.calls) }, time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	for i := range 25 {
		if i == 13 {
			require.EqualError(t, errs[i], "unlucky", "an item's error is its caller's alone")
			continue
		}
		require.NoError(t, errs[i])
		require.Equal(t, i*2, got[i])
	}
	// The waiting calls go in batches of at most 10 (the blocked senders
	// join as room frees, so the exact split may vary).
	require.Equal(t, 1, sizes[0])
	total := 0
	for _, n := range sizes {
		require.LessOrEqual(t, n, 10)
		total += n
	}
	require.Equal(t, 25, total)
	require.LessOrEqual(t, len(sizes), 6, "%v", sizes)
}

func TestCallerThatGaveUpIsLeftOut(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var seen [][]string
	b := New(10, 1, time.Second, func(_ context.Context, items []string) ([]string, []error) {
		seen = append(seen, append([]string(nil), items...))
		if len(seen) == 1 {
			close(started)
			<-release
		}
		return items, make([]error, len(items))
	})
	done := make(chan struct{})
	go func() { _, _ = b.Do(context.Background(), "first"); close(done) }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { _, err := b.Do(ctx, "impatient"); gaveUp <- err }()
	require.Eventually(t, func() bool { return len(b.calls) == 1 }, time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-gaveUp, context.Canceled)
	close(release)
	<-done
	v, err := b.Do(context.Background(), "last")
	require.NoError(t, err)
	require.Equal(t, "last", v)
	require.Equal(t, [][]string{{"first"}, {"last"}}, seen, "the cancelled call never reached a batch")
}
