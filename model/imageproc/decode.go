package imageproc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	// The decoders image.Decode (and so imaging.Decode) may pick from.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// Limits on what Decode accepts. Sizes in an image header are attacker-controlled: a
// 60-byte PNG can claim 100000x100000 pixels, which the decoder would try to allocate
// (40 GB) before it found the data missing. Checking the header first turns that into
// an error instead of an out-of-memory crash.
const (
	MaxSide   = 16384       // pixels along either side
	MaxPixels = 100_000_000 // width*height
	MaxBytes  = 256 << 20   // encoded input size
	formats   = "jpeg, png, gif, bmp, webp"
)

// supported are the image.RegisterFormat names of the formats Decode accepts.
var supported = map[string]bool{"jpeg": true, "png": true, "gif": true, "bmp": true, "webp": true}

// The limits in force: the constants, lowered by tests (the fuzz test would otherwise
// spend seconds on each tiny file that legitimately declares 90 megapixels).
var maxBytes, maxPixels = MaxBytes, MaxPixels

// Decode reads one encoded image (JPEG, PNG, GIF, BMP or WebP) from r and returns it
// turned upright according to its EXIF orientation tag, if it has one. It reads at most
// MaxBytes, rejects images larger than MaxSide or MaxPixels before decoding any pixels,
// and returns an error, never a panic, for corrupt input.
func Decode(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(maxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("reading image: %w", err)
	}
	if len(data) > maxBytes {
		return nil, errTooBig
	}
	return DecodeBytes(data)
}

// DecodeBytes is Decode on an in-memory file.
func DecodeBytes(data []byte) (img image.Image, err error) {
	if len(data) == 0 {
		return nil, errors.New("empty input, not an image")
	}
	if len(data) > maxBytes {
		return nil, errTooBig
	}
	// The decoders are meant to return errors for bad input, but they parse hostile
	// bytes; a bug there must cost one image, not the process.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("corrupt image (decoder panicked: %v)", p)
		}
	}()

	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, fmt.Errorf("not a supported image (%s)", formats)
	}
	// image.Decode tries every format registered in the binary (imaging alone adds
	// TIFF); only the documented ones are accepted, so what is supported does not
	// depend on unrelated imports.
	if !supported[format] {
		return nil, fmt.Errorf("not a supported image (%s): %s", formats, format)
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt %s image: %v", format, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}

	// imaging.Decode is image.Decode plus the EXIF orientation (read from JPEG APP1);
	// it sees the registered decoders above. Should a decoder panic, imaging's
	// orientation reader goroutine stays blocked on its pipe: a small leak on a path that
	// only a decoder bug can reach.
	img, err = imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated %s image: %v", format, err)
	}
	// Check what was decoded too: a GIF's first frame may differ from its header's
	// screen size, and a frame can be empty.
	if b := img.Bounds(); checkSize(b.Dx(), b.Dy()) != nil {
		return nil, fmt.Errorf("corrupt %s image: %v", format, checkSize(b.Dx(), b.Dy()))
	}
	return img, nil
}

var errTooBig = fmt.Errorf("image file is larger than the limit of %d MiB", MaxBytes>>20)

// DecodeFile is Decode on a file; its errors name the file.
func DecodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	img, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// checkSize rejects empty images and ones over MaxSide or MaxPixels.
func checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image is %dx%d, it has no pixels", w, h)
	}
	if w > MaxSide || h > MaxSide || int64(w)*int64(h) > int64(maxPixels) {
		return fmt.Errorf("image is %dx%d, larger than the limit of %d pixels a side and %g megapixels",
			w, h, MaxSide, float64(maxPixels)/1e6)
	}
	return nil
}
