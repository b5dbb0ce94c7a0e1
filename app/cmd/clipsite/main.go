// Command clipsite builds the browser app's static site and serves it locally:
//
//	clipsite build -out bin/site [-model builtin or FILE] [-simd clip-simd.wasm] [-relaxed clip-simd-relaxed.wasm]
//	clipsite serve [-addr 127.0.0.1:8080] bin/site
//
// `make web` and `make serve` run it.
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/clip-go/clip/app/site"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "clipsite:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: clipsite build|serve [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch args[0] {
	case "build":
		var o site.Options
		fs.StringVar(&o.Out, "out", "bin/site", "the folder to write")
		fs.StringVar(&o.Model, "model", "", `the default model: a quantized .safetensors, or "builtin" (weights/defaultmodel); none if empty`)
		fs.StringVar(&o.SIMD, "simd", "", "the engine's SIMD kernel, clip-simd.wasm; none if empty")
		fs.StringVar(&o.Relaxed, "relaxed", "", "its relaxed-SIMD int4 matmul, clip-simd-relaxed.wasm; none if empty")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if o.Model == "builtin" {
			tmp, err := os.MkdirTemp("", "clipsite-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			if err := site.UseBuiltinModel(&o, tmp); err != nil {
				return err
			}
		}
		if err := site.Build(o); err != nil {
			return err
		}
		if o.Model == "" {
			fmt.Printf("built %s (no default model: the page asks for one)\n", o.Out)
		} else {
			fmt.Printf("built %s with the default model %s\n", o.Out, cmp.Or(o.ModelName, o.Model))
		}
		return nil
	case "serve":
		addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on (keep it local)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		dir := "bin/site"
		if fs.NArg() > 0 {
			dir = fs.Arg(0)
		}
		if _, err := os.Stat(dir + "/index.html"); err != nil {
			return fmt.Errorf("%s has no index.html: run make web first", dir)
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		fmt.Printf("serving %s at http://%s/  (Ctrl-C stops)\n", dir, ln.Addr())
		return http.Serve(ln, site.Handler(dir))
	}
	return fmt.Errorf("unknown command %q: build or serve", args[0])
}
