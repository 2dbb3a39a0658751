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
			if v == 7 {
				errs[i] = errors.New("unlucky")
			}
		}
		return out, errs
	})
	// One call, then as many as the queue holds (10 = maxBatch x runners):
	// all of them are waiting when the first batch ends, so the split is
	// exact.
	const calls = 11
	var wg sync.WaitGroup
	got := make([]int, calls)
	errs := make([]error, calls)
	for i := range calls {
		wg.Go(func() { got[i], errs[i] = b.Do(context.Background(), i) })
		if i == 0 {
			// The first call starts a batch alone; the rest queue behind it.
			require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 }, time.Second, time.Millisecond)
		}
	}
	require.Eventually(t, func() bool { return len(b.calls) == cap(b.calls) }, time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	for i := range calls {
		if i == 7 {
			require.EqualError(t, errs[i], "unlucky", "an item's error is its caller's alone")
			continue
		}
		require.NoError(t, errs[i])
		require.Equal(t, i*2, got[i])
	}
	require.Equal(t, []int{1, 10}, sizes, "the calls that waited went in one batch")
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
