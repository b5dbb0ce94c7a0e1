package imageproc

import "image"

// PreprocessCrop is Preprocess for a region of img: the pixels inside crop (in img's own
// coordinates, the same space as img.Bounds(); clipped to the image) are resized to
// Size×Size with the same Pillow-exact bicubic resampler, whatever the crop's aspect
// ratio, and normalised exactly as Preprocess does.
//
// This is torchvision's RandomResizedCrop on a PIL image once its box is chosen
// (F.resized_crop: img.crop(box) then resize((Size, Size), BICUBIC)). The crop comes
// first, so the filter clamps at the crop's edges and never reads pixels outside it.
// A crop with no pixels inside the image gives normalised black, like an empty image
// in Preprocess. Like Preprocess, it panics if c is not valid (see Validate).
//
// For a square image and crop == img.Bounds() the result is identical to Preprocess
// without Trim: PreprocessCrop never trims, since its caller chose the crop (the training
// loader trims first, with Trim).
func (c Config) PreprocessCrop(img image.Image, crop image.Rectangle) []float32 {
	if err := c.Validate(); err != nil {
		panic("imageproc: " + err.Error())
	}
	crop = crop.Canon().Intersect(img.Bounds())
	var px *rgbImage
	if !crop.Empty() {
		px = resize(toRGB(subImage(img, crop)), c.Size, c.Size)
	}
	return c.normalize(px)
}

// subImage is the part of img inside r (which lies within img's bounds), sharing its
// pixels: the image's own SubImage where it has one (every type in package image
// does), else a view with narrower bounds.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return croppedView{img, r}
}

type croppedView struct {
	image.Image
	r image.Rectangle
}

func (v croppedView) Bounds() image.Rectangle { return v.r }

// normalize is Preprocess's last step for a Size×Size RGB image (nil: all black):
// ToTensor then Normalize into CHW float32.
func (c Config) normalize(px *rgbImage) []float32 {
	n := c.Size
	var lut [3][256]float32
	for ch := range 3 {
		for v := range 256 {
			lut[ch][v] = (float32(v)/255 - c.Mean[ch]) / c.Std[ch]
		}
	}
	plane := n * n
	out := make([]float32, 3*plane)
	for o := range plane {
		var r, g, b uint8
		if px != nil {
			r, g, b = px.Pix[3*o], px.Pix[3*o+1], px.Pix[3*o+2]
		}
		out[o], out[plane+o], out[2*plane+o] = lut[0][r], lut[1][g], lut[2][b]
	}
	return out
}
