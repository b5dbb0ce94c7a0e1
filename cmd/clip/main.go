// Command clip embeds text and images, tokenizes, and classifies images zero-shot with a
// CLIP model folder in the model-hub layout. Output is JSON, one object per line.
//
//	clip embed    --model DIR [--text T]... [--image PATH]... [--normalize]
//	clip tokenize [--model DIR] TEXT...
//	clip classify --model DIR --labels "cat,dog" [--labels-file F] [--template T]... [--top 5] IMAGE...
//	clip train    --data SPEC --out DIR [--model-config NAME|config.json] [--steps N] [--batch N] [--micro-batch M] [--resume] ...
//	clip export   --checkpoint DIR --out DIR
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage: clip <command> [flags]

commands:
  embed     text and image embeddings (projected features)
  tokenize  CLIP token ids of texts
  classify  zero-shot classification of images against labels
  train     contrastive pre-training on image-text pairs
  export    write a training checkpoint as a model folder
  synth     write generated shards of coloured shapes, to try training
  data      build the image-text corpus and its benchmarks (clip data build --out DIR)
  eval      zero-shot top-1/top-5 accuracy on labelled image folders
  xla-install  install the CUDA PJRT plugin for --backend xla:cuda (downloads; GPU hosts)

Run "clip <command> -h" for the flags of a command.
`

// extraCommands are commands only some builds have (xla-install: linux/amd64 with XLA).
var extraCommands = map[string]func([]string, io.Writer, io.Writer) error{}

// errUsage marks errors where the command line itself is wrong (exit status 2).
var errUsage = errors.New("usage")

// errReported means per-input errors were already printed; exit non-zero quietly.
var errReported = errors.New("some inputs failed")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	// No input may crash the tool with a stack trace: turn any panic into one error line.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "clip: internal error: %v\n", r)
			code = 1
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Writer, io.Writer) error{
		"embed":    cmdEmbed,
		"tokenize": cmdTokenize,
		"classify": cmdClassify,
		"train":    cmdTrain,
		"export":   cmdExport,
		"synth":    cmdSynth,
		"data":     cmdData,
		"eval":     cmdEval,
	}
	for name, fn := range extraCommands {
		cmds[name] = fn
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "clip: unknown command %q\n%s", args[0], usage)
		return 2
	}
	err := cmd(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errReported):
		return 1
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "clip %s: %s\n", args[0], strings.TrimPrefix(err.Error(), "usage: "))
		return 2
	}
	fmt.Fprintf(stderr, "clip %s: %s\n", args[0], oneLine(err.Error()))
	return 1
}

// oneLine keeps an error message on one line (wrapped library errors may hold newlines).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// parse parses flags that may come before, between or after positional arguments
// (`clip classify a.jpg --model m b.jpg`), as people type them. "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(os.Stdout)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// writeJSON writes one JSON object and a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func joinStrings(s []string) string { return strings.Join(s, ", ") }
