package corpus

import (
	"image"
	"image/color"
	"testing"
)

const redSquare = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect x="2" y="2" width="6" height="6" fill="#ff0000"/></svg>`

func TestUnsupportedSVG(t *testing.T) {
	cases := []struct {
		name, svg, want string
	}{
		{"plain", redSquare, ""},
		{"clipPath", `<svg viewBox="0 0 10 10"><defs><clipPath id="c"><rect width="5" height="5"/></clipPath></defs><g clip-path="url(#c)"><rect width="10" height="10"/></g></svg>`, "uses <clipPath>"},
		{"mask attribute", `<svg viewBox="0 0 10 10"><g mask="url(#m)"><rect width="10" height="10"/></g></svg>`, "uses mask"},
		{"filter element", `<svg viewBox="0 0 10 10"><filter id="f"/><rect width="10" height="10"/></svg>`, "uses <filter>"},
		{"filter in style", `<svg viewBox="0 0 10 10"><rect style="filter:url(#f)" width="10" height="10"/></svg>`, "uses filter"},
		{"css", `<svg viewBox="0 0 10 10"><style>.a{fill:red}</style><rect class="a" width="10" height="10"/></svg>`, "uses CSS"},
		{"empty style", `<svg viewBox="0 0 10 10"><style> </style><rect width="10" height="10"/></svg>`, ""},
		{"text", `<svg viewBox="0 0 10 10"><text>A</text></svg>`, "uses <text>"},
		{"clip-path none", `<svg viewBox="0 0 10 10"><rect clip-path="none" width="10" height="10"/></svg>`, ""},
	}
	for _, c := range cases {
		if got := unsupportedSVG([]byte(c.svg)); got != c.want {
			t.Errorf("%s: unsupportedSVG = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestRenderSVG(t *testing.T) {
	img, err := renderSVG([]byte(redSquare), 20)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 20 {
		t.Fatalf("size %v", b)
	}
	if c := img.RGBAAt(10, 10); c != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("centre %v, want red", c)
	}
	if c := img.RGBAAt(1, 1); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("corner %v, want white", c)
	}
	// A clipped drawing is skipped, not drawn whole.
	clipped := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><clipPath id="c"><circle cx="5" cy="5" r="2"/></clipPath></defs><rect clip-path="url(#c)" width="10" height="10" fill="#000"/></svg>`
	if _, err := renderSVG([]byte(clipped), 20); skipReason(err) == "" {
		t.Errorf("clipPath SVG: err %v, want a skip", err)
	}
	// A wide view box is fitted and centred: the top and bottom rows stay white.
	wide := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10"><rect width="20" height="10" fill="#0000ff"/></svg>`
	img, err = renderSVG([]byte(wide), 20)
	if err != nil {
		t.Fatal(err)
	}
	if c := img.RGBAAt(10, 1); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("above a wide picture: %v, want white", c)
	}
	if c := img.RGBAAt(10, 10); c != (color.RGBA{0, 0, 255, 255}) {
		t.Errorf("centre of a wide picture: %v, want blue", c)
	}
}

func TestCheckInk(t *testing.T) {
	white := whiteSquare(10)
	if skipReason(checkInk(white, true)) != "blank render" {
		t.Error("a white render should be skipped as blank")
	}
	black := whiteSquare(10)
	for i := range black.Pix {
		if i%4 != 3 {
			black.Pix[i] = 0
		}
	}
	if skipReason(checkInk(black, true)) != "mostly black render" {
		t.Error("a black render of a colour style should be skipped")
	}
	if err := checkInk(black, false); err != nil {
		t.Errorf("a black render of a monochrome style is fine: %v", err)
	}
}

func TestPixelHash(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 3, 2))
	n := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range a.Pix {
		a.Pix[i], n.Pix[i] = 255, 255
	}
	if pixelHash(a) != pixelHash(n) {
		t.Error("the same opaque pixels in two image types hash differently")
	}
	png1, err := encodePNG(a)
	if err != nil {
		t.Fatal(err)
	}
	h, err := PixelHashPNG(png1)
	if err != nil || h != pixelHash(a) {
		t.Errorf("PixelHashPNG = %s, %v; want %s", h, err, pixelHash(a))
	}
	a.Pix[0] = 0
	if pixelHash(a) == pixelHash(n) {
		t.Error("different pixels hash the same")
	}
}

func TestFitOnWhite(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 28, 14)) // black, twice as wide as high
	img := fitOnWhite(src, 16)
	if c := img.RGBAAt(8, 0); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("above: %v, want white", c)
	}
	if c := img.RGBAAt(8, 8); c.R > 10 {
		t.Errorf("centre: %v, want black", c)
	}
}
