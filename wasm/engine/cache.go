package engine

import (
	"container/list"
	"sync"
)

// textCache keeps prompt embeddings, least recently used out first. A model's embedding
// of a prompt never changes, so a classifier rebuilt for new labels re-encodes only the
// prompts it has not seen (the image embeddings are the caller's to keep). The key is
// the prompt text (and whether it was truncated); the cache belongs to one model, so the
// model is part of the key implicitly.
type textCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry, most recent first
	items map[cacheKey]*list.Element
	hits  int
}

type cacheKey struct {
	text     string
	truncate bool
}

type cacheEntry struct {
	key cacheKey
	emb []float32
}

func newTextCache(max int) *textCache {
	return &textCache{max: max, order: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *textCache) get(k cacheKey) ([]float32, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.hits++
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).emb, true
}

func (c *textCache) put(k cacheKey, emb []float32) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&cacheEntry{k, emb})
	for c.order.Len() > c.max {
		last := c.order.Back()
		delete(c.items, last.Value.(*cacheEntry).key)
		c.order.Remove(last)
	}
}
