package imageproc

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

var testColor = color.RGBA{200, 40, 90, 255}

func solid(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

func encode(t testing.TB, img image.Image, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := enc(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encPNG(b *bytes.Buffer, img image.Image) error { return png.Encode(b, img) }
func encBMP(b *bytes.Buffer, img image.Image) error { return bmp.Encode(b, img) }

// encGIF encodes with a palette of exactly the image's colours, so a GIF of few colours
// round-trips without the default palette's quantisation.
func encGIF(b *bytes.Buffer, img image.Image) error {
	pal, ok := img.(*image.Paletted)
	if !ok {
		bounds := img.Bounds()
		var colors color.Palette
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			for x := bounds.Min.X; x < bounds.Max.X; x++ {
				if c := img.At(x, y); !slices.Contains(colors, c) {
					colors = append(colors, c)
				}
			}
		}
		pal = image.NewPaletted(bounds, colors)
		draw.Draw(pal, bounds, img, bounds.Min, draw.Src)
	}
	return gif.Encode(b, pal, nil)
}
func encJPEG(b *bytes.Buffer, img image.Image) error {
	return jpeg.Encode(b, img, &jpeg.Options{Quality: 95})
}

// bitWriter writes a least-significant-bit-first bit stream, as WebP lossless reads it.
type bitWriter struct {
	buf   []byte
	nbits uint
}

func (w *bitWriter) write(v uint32, n uint) {
	for range n {
		if w.nbits%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		w.buf[len(w.buf)-1] |= byte(v&1) << (w.nbits % 8)
		v >>= 1
		w.nbits++
	}
}

// losslessWebP hand-assembles a WebP lossless (VP8L) file of one colour: there is no Go
// WebP encoder. With no transforms, no colour cache and every prefix code a "simple"
// code of a single symbol, each pixel takes zero bits, so the image is just the header
// and the five one-symbol codes (green, red, blue, alpha, distance).
func losslessWebP(w, h int, c color.RGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8) // VP8L signature
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(0, 1) // alpha_is_used hint
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // eight-bit symbol
		bw.write(uint32(sym), 8)
	}
	bw.write(1, 1) // distance: simple code, one symbol, one-bit symbol 0
	bw.write(0, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	return riff("VP8L", bw.buf)
}

func riff(chunk string, payload []byte) []byte {
	var b bytes.Buffer
	size := len(payload) + len(payload)%2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(4+8+size))
	b.WriteString("WEBP" + chunk)
	binary.Write(&b, binary.LittleEndian, uint32(len(payload)))
	b.Write(payload)
	if len(payload)%2 == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// pngHeader is a PNG signature and a valid IHDR chunk (8-bit RGB) claiming w×h, and
// nothing else.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func near(a, b uint8, tol int) bool {
	d := int(a) - int(b)
	return d >= -tol && d <= tol
}

func TestDecodeFormats(t *testing.T) {
	src := solid(8, 6, testColor)
	for _, c := range []struct {
		name string
		data []byte
		tol  int // JPEG moves colours a little
	}{
		{"png", encode(t, src, encPNG), 0},
		{"bmp", encode(t, src, encBMP), 0},
		{"gif", encode(t, src, encGIF), 0},
		{"jpeg", encode(t, src, encJPEG), 6},
		{"webp", losslessWebP(8, 6, testColor), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, err := DecodeBytes(c.data)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != 8 || b.Dy() != 6 {
				t.Fatalf("decoded %dx%d, want 8x6", b.Dx(), b.Dy())
			}
			rgb := toRGB(img)
			for i := 0; i < len(rgb.Pix); i += 3 {
				if !near(rgb.Pix[i], testColor.R, c.tol) || !near(rgb.Pix[i+1], testColor.G, c.tol) || !near(rgb.Pix[i+2], testColor.B, c.tol) {
					t.Fatalf("pixel %d is %v, want about %v", i/3, rgb.Pix[i:i+3], testColor)
				}
			}
			// The io.Reader entry point agrees.
			if _, err := Decode(bytes.NewReader(c.data)); err != nil {
				t.Errorf("Decode: %v", err)
			}
		})
	}
}

// exifJPEG returns data, a JPEG, with an EXIF APP1 segment carrying the orientation tag
// inserted after the start-of-image marker.
func exifJPEG(data []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")                        // big-endian TIFF header
	binary.Write(&tiff, binary.BigEndian, uint32(8))      // first IFD right after it
	binary.Write(&tiff, binary.BigEndian, uint16(1))      // one entry:
	binary.Write(&tiff, binary.BigEndian, uint16(0x0112)) // Orientation
	binary.Write(&tiff, binary.BigEndian, uint16(3))      // SHORT
	binary.Write(&tiff, binary.BigEndian, uint32(1))      // count
	binary.Write(&tiff, binary.BigEndian, orientation)    // value, left-justified
	binary.Write(&tiff, binary.BigEndian, uint16(0))      // padding
	binary.Write(&tiff, binary.BigEndian, uint32(0))      // no next IFD
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(app1)+2))
	seg = append(seg, app1...)
	out := append([]byte{}, data[:2]...) // SOI
	out = append(out, seg...)
	return append(out, data[2:]...)
}

func TestDecodeEXIFOrientation(t *testing.T) {
	// 16x8: left half red, right half blue. Orientation 6 means "rotate 90° clockwise to
	// display", which puts the left half on top: 8x16, red above blue.
	src := solid(16, 8, color.RGBA{0, 0, 255, 255})
	for y := range 8 {
		for x := range 8 {
			src.Set(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	plain := encode(t, src, encJPEG)
	for _, c := range []struct {
		name       string
		data       []byte
		w, h       int
		firstIsRed bool // pixel (2,2)
		lastIsRed  bool // pixel (w-3, h-3)
	}{
		{"no exif", plain, 16, 8, true, false},
		{"orientation 1", exifJPEG(plain, 1), 16, 8, true, false},
		{"orientation 6", exifJPEG(plain, 6), 8, 16, true, false},
		{"orientation 3", exifJPEG(plain, 3), 16, 8, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, err := DecodeBytes(c.data)
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if b.Dx() != c.w || b.Dy() != c.h {
				t.Fatalf("decoded %dx%d, want %dx%d", b.Dx(), b.Dy(), c.w, c.h)
			}
			rgb := toRGB(img)
			isRed := func(x, y int) bool {
				p := rgb.Pix[3*(y*rgb.W+x):]
				return p[0] > 200 && p[2] < 60
			}
			if isRed(2, 2) != c.firstIsRed || isRed(c.w-3, c.h-3) != c.lastIsRed {
				t.Errorf("corner colours: (2,2) red %v, (%d,%d) red %v; want %v, %v",
					isRed(2, 2), c.w-3, c.h-3, isRed(c.w-3, c.h-3), c.firstIsRed, c.lastIsRed)
			}
		})
	}
}

func TestAlphaOverWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})      // transparent black: white
	img.SetNRGBA(1, 0, color.NRGBA{255, 0, 0, 128})  // half red: pink
	img.SetNRGBA(2, 0, color.NRGBA{10, 20, 30, 255}) // opaque: unchanged
	want := []uint8{255, 255, 255, 255, 127, 127, 10, 20, 30}

	decoded, err := DecodeBytes(encode(t, img, encPNG))
	if err != nil {
		t.Fatal(err)
	}
	// The same pixels through each conversion path: what the PNG decoder returns, and
	// the premultiplied and generic (16-bit) forms.
	rgba := image.NewRGBA(img.Bounds())
	rgba64 := image.NewRGBA64(img.Bounds())
	for x := range 3 {
		rgba.Set(x, 0, img.At(x, 0))
		rgba64.Set(x, 0, img.At(x, 0))
	}
	for name, im := range map[string]image.Image{"nrgba": img, "decoded png": decoded, "rgba": rgba, "rgba64": rgba64} {
		got := toRGB(im).Pix
		for i := range want {
			if !near(got[i], want[i], 1) {
				t.Errorf("%s: got %v, want %v", name, got, want)
				break
			}
		}
	}

	// A fully transparent GIF pixel too (palette with a transparent index).
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{}, color.RGBA{0, 0, 0, 255}})
	pal.SetColorIndex(1, 0, 1)
	g, err := DecodeBytes(encode(t, pal, encGIF))
	if err != nil {
		t.Fatal(err)
	}
	if got := toRGB(g).Pix; string(got) != string([]uint8{255, 255, 255, 0, 0, 0}) {
		t.Errorf("gif: got %v, want white then black", got)
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	pngData := encode(t, solid(40, 30, testColor), encPNG)
	jpegData := encode(t, solid(40, 30, testColor), encJPEG)
	var tiffBuf bytes.Buffer
	if err := tiff.Encode(&tiffBuf, solid(4, 4, testColor), nil); err != nil {
		t.Fatal(err)
	}
	tiffData := tiffBuf.Bytes()
	gifHuge := []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;")
	bmpHuge := encode(t, solid(2, 2, testColor), encBMP)
	binary.LittleEndian.PutUint32(bmpHuge[18:], 100000) // width
	binary.LittleEndian.PutUint32(bmpHuge[22:], 100000) // height
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "empty", nil},
		{"text", "not a supported image (jpeg, png, gif, bmp, webp)", []byte("hello, this is not an image")},
		{"tiff", "not a supported image (jpeg, png, gif, bmp, webp): tiff", tiffData},
		{"truncated png", "png", pngData[:len(pngData)/2]},
		{"png header only", "png", pngHeader(4, 4)},
		{"truncated jpeg", "jpeg", jpegData[:len(jpegData)/2]},
		{"jpeg soi only", "jpeg", []byte{0xff, 0xd8}},
		{"bad webp", "webp", riff("VP8L", []byte{0x2f, 1, 2, 3, 4, 5, 6})},
		{"webp header only", "not a supported image", []byte("RIFF\x04\x00\x00\x00WEBP")},
		{"huge png", "100000x100000, larger than the limit", pngHeader(100000, 100000)},
		{"too wide png", "20000x1, larger than the limit", pngHeader(20000, 1)},
		{"too many pixels png", "10001x10000, larger than the limit", pngHeader(10001, 10000)},
		{"zero width png", "png", pngHeader(0, 10)},
		{"huge gif", "65535x65535, larger than the limit", gifHuge},
		{"huge bmp", "100000x100000, larger than the limit", bmpHuge},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, err := DecodeBytes(c.data)
			if err == nil {
				t.Fatalf("decoded %v, want an error", img.Bounds())
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, c.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

func TestDecodeByteLimit(t *testing.T) {
	data := encode(t, solid(40, 30, testColor), encPNG)
	defer func(m int) { maxBytes = m }(maxBytes)
	maxBytes = len(data) - 1
	if _, err := Decode(bytes.NewReader(data)); err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("Decode over the byte limit: %v, want a size error", err)
	}
	if _, err := DecodeBytes(data); err == nil {
		t.Error("DecodeBytes over the byte limit succeeded")
	}
	maxBytes = len(data)
	if _, err := Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("Decode at the byte limit: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	small := solid(5, 3, testColor)
	f.Add(encode(f, small, encPNG))
	f.Add(encode(f, small, encJPEG))
	f.Add(exifJPEG(encode(f, small, encJPEG), 6))
	f.Add(encode(f, small, encGIF))
	f.Add(encode(f, small, encBMP))
	f.Add(losslessWebP(5, 3, testColor))
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("RIFF\x04\x00\x00\x00WEBP"))
	cfg := DefaultConfig(8)
	// A few bytes of WebP lossless or GIF can declare tens of megapixels, which take
	// seconds to decode; a lower pixel limit keeps the fuzzer exploring.
	maxPixels = 1 << 20
	f.Cleanup(func() { maxPixels = MaxPixels })
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeBytes(data)
		if err != nil {
			return
		}
		b := img.Bounds()
		if checkSize(b.Dx(), b.Dy()) != nil {
			t.Fatalf("decoded %v, outside the limits", b)
		}
		cfg.Preprocess(img)
	})
}
