package corpus

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// contactColumns is the number of pictures per style on the contact sheet.
const contactColumns = 12

// contactSheet draws a grid to look at: one row per style, its name on the left (and
// whether it is held out), then pictures of that style in a seeded order, so the rows
// show varied concepts rather than the first ones of the CLDR order.
func (b *builder) contactSheet() ([]byte, error) {
	const labelW, pad = 150, 4
	cell := b.o.Size + pad
	byStyle := map[string][]*sample{}
	for _, s := range b.samples {
		if s.split != "" {
			byStyle[s.style.Name] = append(byStyle[s.style.Name], s)
		}
	}
	var rows []string
	for _, st := range allStyles {
		if len(byStyle[st.Name]) > 0 {
			rows = append(rows, st.Name)
		}
	}
	sheet := image.NewRGBA(image.Rect(0, 0, labelW+contactColumns*cell+pad, len(rows)*cell+pad))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.RGBA{228, 228, 228, 255}), image.Point{}, draw.Src)
	face := basicfont.Face7x13
	for r, name := range rows {
		y := pad + r*cell
		d := &font.Drawer{Dst: sheet, Src: image.Black, Face: face, Dot: fixed.P(pad, y+face.Ascent+4)}
		d.DrawString(name)
		if b.split.Styles[name] {
			d.Dot = fixed.P(pad, y+face.Ascent+20)
			d.DrawString("(held out)")
		}
		ss := byStyle[name]
		sort.Slice(ss, func(i, j int) bool {
			return hash64(b.o.Seed, "sheet:"+ss[i].key) < hash64(b.o.Seed, "sheet:"+ss[j].key)
		})
		for c, s := range ss[:min(len(ss), contactColumns)] {
			img, err := png.Decode(bytes.NewReader(s.png))
			if err != nil {
				return nil, err
			}
			x := labelW + c*cell
			draw.Draw(sheet, image.Rect(x, y, x+b.o.Size, y+b.o.Size), img, img.Bounds().Min, draw.Src)
		}
	}
	return encodePNG(sheet)
}
