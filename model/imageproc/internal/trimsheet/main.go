// Command trimsheet draws what trimming does to pictures (the picture in MODEL.md): each
// picture as it is, beside the same picture trimmed to its drawing, both at the model's
// input size, scaled up for the eye.
//
//	go run ./model/imageproc/internal/trimsheet -size 64 -out sheet.png PICTURE...
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"

	"github.com/clip-go/clip/model/imageproc"
	"github.com/disintegration/imaging"
)

func main() {
	size := flag.Int("size", 64, "the model's input side")
	zoom := flag.Int("zoom", 2, "each picture drawn this many times larger")
	perRow := flag.Int("per-row", 3, "pairs per row")
	out := flag.String("out", "trim.png", "the PNG to write")
	flag.Parse()
	if err := run(flag.Args(), *size, *zoom, *perRow, *out); err != nil {
		fmt.Fprintln(os.Stderr, "trimsheet:", err)
		os.Exit(1)
	}
}

func run(paths []string, size, zoom, perRow int, out string) error {
	if len(paths) == 0 {
		return fmt.Errorf("no pictures given")
	}
	cell, gap := size*zoom, 4*zoom
	rows := (len(paths) + perRow - 1) / perRow
	w := perRow*(2*cell+gap) + (perRow+1)*3*gap
	h := rows*cell + (rows+1)*3*gap
	sheet := imaging.New(w, h, color.NRGBA{0xdd, 0xdd, 0xdd, 0xff})
	for i, p := range paths {
		img, err := imageproc.DecodeFile(p)
		if err != nil {
			return err
		}
		// As the model sees it: square (the centre crop), at its input size; nearest
		// neighbour when scaling up, so its pixels show.
		asIs := imaging.Fill(imaging.Overlay(imaging.New(img.Bounds().Dx(), img.Bounds().Dy(), color.White), img, image.Pt(0, 0), 1), size, size, imaging.Center, imaging.CatmullRom)
		trimmed := imaging.Fill(imageproc.Trim(img), size, size, imaging.Center, imaging.CatmullRom)
		x := 3*gap + (i%perRow)*(2*cell+gap+3*gap)
		y := 3*gap + (i/perRow)*(cell+3*gap)
		sheet = imaging.Paste(sheet, imaging.Resize(asIs, cell, cell, imaging.NearestNeighbor), image.Pt(x, y))
		sheet = imaging.Paste(sheet, imaging.Resize(trimmed, cell, cell, imaging.NearestNeighbor), image.Pt(x+cell+gap, y))
	}
	return imaging.Save(sheet, out)
}
