package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"
)

// maxDecodePixels bounds the pictures decoded: a handful of clip art PNGs are rendered
// at up to 21k×30k pixels (2.5 GB decoded, seconds each) to end up as 64 px.
const maxDecodePixels = 16 << 20

// decodeFit decodes a PNG and fits it onto a white square.
func decodeFit(data []byte, size int) (*image.RGBA, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, skip("undecodable image")
	}
	if cfg.Width*cfg.Height > maxDecodePixels {
		return nil, skip("image too large to decode")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, skip("undecodable image")
	}
	return fitOnWhite(img, size), nil
}

// renderAll renders every sample on o.Workers goroutines. Each result goes to its own
// sample, so the outcome does not depend on scheduling.
func (b *builder) renderAll() error {
	var wg sync.WaitGroup
	next := make(chan *sample)
	var mu sync.Mutex
	var firstErr error
	for range b.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				img, err := s.render()
				s.render = nil // let the source bytes go
				if err != nil {
					if r := skipReason(err); r != "" {
						s.skip = r
						continue
					}
					mu.Lock()
					firstErr = errors.Join(firstErr, fmt.Errorf("%s %s: %w", s.style.Name, s.sourceID, err))
					mu.Unlock()
					continue
				}
				s.hash = pixelHash(img)
				if s.png, err = encodePNG(img); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	t := time.Now()
	for i, s := range b.samples {
		if s.split == "" { // left out by the splits: not worth drawing
			s.render = nil
			continue
		}
		next <- s
		if b.o.Log != nil && i > 0 && i%5000 == 0 {
			b.logf("render: %d/%d (%.0f/s)", i, len(b.samples), float64(i)/time.Since(t).Seconds())
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for _, s := range b.samples {
		if s.skip != "" {
			count(b.skips, s.style.Name, s.skip)
		}
	}
	// Free the decoded sources of clip art; only the PNGs written are kept.
	for _, s := range b.samples {
		if s.clip != nil {
			s.clip.png = nil
		}
	}
	return nil
}
