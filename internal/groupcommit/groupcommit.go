// Package groupcommit lets concurrent callers share database
// transactions. Each caller hands in one item and waits for its own
// result; a few runners take whatever items are waiting and handle them
// in one go. Under load one commit (and one round trip per statement)
// serves many callers; alone, a caller's item runs at once, in a batch of
// one, so nobody waits for a batch to fill.
package groupcommit

import (
	"context"
	"sync"
	"time"
)

// Func handles one batch. It returns one result and one error per item, in
// the items' order; an item's error is its caller's alone.
type Func[T, R any] func(ctx context.Context, items []T) ([]R, []error)

// Batcher runs items through a Func in batches.
type Batcher[T, R any] struct {
	fn      Func[T, R]
	max     int
	runners int
	timeout time.Duration

	once  sync.Once
	calls chan call[T, R]
}

type call[T, R any] struct {
	ctx  context.Context
	item T
	done chan result[R]
}

type result[R any] struct {
	val R
	err error
}

// New returns a Batcher whose batches hold at most maxBatch items, with at
// most runners batches in flight. Each batch runs under its own deadline,
// timeout, not its callers': a caller that gives up does not cancel the
// others' work.
func New[T, R any](maxBatch, runners int, timeout time.Duration, fn Func[T, R]) *Batcher[T, R] {
	return &Batcher[T, R]{fn: fn, max: max(maxBatch, 1), runners: max(runners, 1), timeout: timeout}
}

// Do hands item in and returns its result. A caller whose context ends
// before its batch starts is left out of it; one whose context ends while
// the batch runs gets ctx.Err(), though the batch may still commit the
// item (as with any request whose client goes away).
func (b *Batcher[T, R]) Do(ctx context.Context, item T) (R, error) {
	b.once.Do(b.start)
	var zero R
	c := call[T, R]{ctx: ctx, item: item, done: make(chan result[R], 1)}
	select {
	case b.calls <- c:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case r := <-c.done:
		return r.val, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (b *Batcher[T, R]) start() {
	b.calls = make(chan call[T, R], b.max*b.runners)
	for range b.runners {
		go b.run()
	}
}

// run takes the first waiting item and whatever else is already waiting:
// batches form from the load itself, without a timer.
func (b *Batcher[T, R]) run() {
	batch := make([]call[T, R], 0, b.max)
	items := make([]T, 0, b.max)
	for first := range b.calls {
		batch = append(batch[:0], first)
	collect:
		for len(batch) < b.max {
			select {
			case c := <-b.calls:
				batch = append(batch, c)
			default:
				break collect
			}
		}
		live := batch[:0]
		for _, c := range batch {
			if err := c.ctx.Err(); err != nil {
				c.done <- result[R]{err: err}
				continue
			}
			live = append(live, c)
		}
		if len(live) == 0 {
			continue
		}
		items = items[:0]
		for _, c := range live {
			items = append(items, c.item)
		}
		ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
		vals, errs := b.fn(ctx, items)
		cancel()
		for i, c := range live {
			c.done <- result[R]{val: vals[i], err: errs[i]}
		}
		clear(items) // don't keep the batch's items alive until the next one
	}
}
