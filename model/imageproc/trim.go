package imageproc

import "image"

// Trimming fits a drawing to the frame before the resize: the white margin around a
// pictogram (an emoji's or icon's empty border) is cut away, so the drawing fills the
// picture as it did in training. Emoji and icon sets differ in how much margin their
// artwork leaves (OpenMoji's drawings span about 80% of their square's side, Noto's 95%
// and Twemoji's 99%), and a model trained on tight ones sees a drawing with a
// wide margin as smaller than anything it was taught: the built-in model's top-1 on
// emoji in unseen styles rises from 32.2% to 40.6% when their margins are trimmed (its
// card, weights/defaultmodel/MODEL.md). A model trims only when its preprocessing says
// so (Config.Trim); CLIP's, and so every hub model's, does not.

// trimTolerance is how far (in 8-bit levels, on any channel) a border pixel may be from
// white: enough for antialiasing noise and JPEG, not for a pale drawing.
const trimTolerance = 16

// trimmed returns the smallest square around the part of src that is not white, padded
// with white where the square reaches past src (a wide drawing gets bands above and
// below, like a letterbox). Only a white border is trimmed (transparency is white by
// now): that is the page every training picture is drawn on. A picture whose corners are
// not all white is returned as it is: a photograph, or a drawing on another ground, such
// as MNIST's white-on-black digits, where trimming to the drawing cost the built-in
// model 9 points (its card). So is a blank picture, or one whose drawing already spans it.
func (src *rgbImage) trimmed() *rgbImage {
	if src.W < 2 || src.H < 2 {
		return src
	}
	for _, p := range [][2]int{{0, 0}, {src.W - 1, 0}, {0, src.H - 1}, {src.W - 1, src.H - 1}} {
		if !whiteish(src.at(p[0], p[1])) {
			return src
		}
	}
	box := image.Rectangle{}
	for y := range src.H {
		row := src.Pix[3*y*src.W : 3*(y+1)*src.W]
		for x := range src.W {
			if !whiteish([3]uint8(row[3*x : 3*x+3])) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	side := max(box.Dx(), box.Dy())
	if box.Empty() || side >= max(src.W, src.H) {
		return src
	}
	// The square, centred on the drawing's box.
	x0 := box.Min.X - (side-box.Dx())/2
	y0 := box.Min.Y - (side-box.Dy())/2
	out := newRGB(side, side)
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for y := max(0, -y0); y < side && y0+y < src.H; y++ {
		for x := max(0, -x0); x < side && x0+x < src.W; x++ {
			c := src.at(x0+x, y0+y)
			i := 3 * (y*side + x)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c[0], c[1], c[2]
		}
	}
	return out
}

func (src *rgbImage) at(x, y int) [3]uint8 {
	i := 3 * (y*src.W + x)
	return [3]uint8(src.Pix[i : i+3])
}

// whiteish reports whether every channel of c is within trimTolerance of white.
func whiteish(c [3]uint8) bool {
	return min(c[0], c[1], c[2]) >= 255-trimTolerance
}

// Trim is the trimming Preprocess does when Config.Trim is set, for callers that crop the
// picture themselves (the training loader's random crops): the picture composited over
// white, cut to the square around its drawing, as an opaque image.
func Trim(img image.Image) image.Image {
	src := toRGB(img).trimmed()
	out := image.NewNRGBA(image.Rect(0, 0, src.W, src.H))
	for i := range src.W * src.H {
		copy(out.Pix[4*i:4*i+3], src.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out
}
