// Command clip embeds text and images, tokenizes, classifies images zero-shot, trains
// and quantizes CLIP models, and builds the training corpus. Output is JSON, one object
// per line. `clip --help` lists the commands; `clip COMMAND --help` shows one.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// command is one subcommand: what runs it and what its help says.
type command struct {
	name  string
	usage string // its usage line after "clip ": the name, "[flags]" and its arguments
	about string // what it does, as a phrase: the command list shows it, --help as a sentence
	run   func(args []string, stdout, stderr io.Writer) error
}

// commands, in the order `clip --help` lists them. quant.go and xla.go append theirs
// from their init functions (xla.go in builds with XLA, xla_other.go's stub elsewhere).
var commands = []command{
	{"embed", "embed [flags] (--text TEXT | --image FILE)...", "print text and image embeddings (projected features)", cmdEmbed},
	{"tokenize", "tokenize [flags] TEXT...", "print the CLIP token ids of texts", cmdTokenize},
	{"classify", "classify [flags] IMAGE...", "classify images zero-shot against labels, printing the top labels of each", cmdClassify},
	{"train", "train --data SPEC --out DIR [flags]", "train a model contrastively on image-text pairs", cmdTrain},
	{"distill", "distill --texts FILE --init MODEL --out DIR [flags]", "train a model's text tower towards a multilingual sentence encoder's embeddings of texts (the teacher)", cmdDistill},
	{"export", "export --checkpoint DIR --out DIR [--names openai]", "write a training checkpoint as a model folder (the hub's layout; with --names openai also open_clip's file under the original names)", cmdExport},
	{"merge", "merge --base MODEL --out DIR MODEL:WEIGHT...", "write base + Σ weight·(model − base) as a model folder: a fine-tuned model interpolated with its start (WiSE-FT), or several runs' changes added", cmdMerge},
	{"synth", "synth --out DIR [flags]", "write generated shards of coloured shapes, to try training", cmdSynth},
	{"data", strings.TrimPrefix(dataSynopsis, "clip "), "build the image-text corpus and its benchmarks from pinned packages", cmdData},
	{"eval", "eval [zeroshot] [flags] SET... | eval probe --train SET [flags] | eval robustness --reference SET [flags] SET...", "measure models on labelled image sets: zero-shot accuracy, linear and k-shot probes, robustness to distribution shift (docs/evaluation.md)", cmdEval},
}

// usage is what `clip --help` prints: every command with what it does.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: clip <command> [flags]\n\ncommands:\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.about)
	}
	b.WriteString("\nRun \"clip <command> -h\" for the flags of a command.\n")
	return b.String()
}

// printHelp is a command's --help: its usage line, what it does, then its flags.
func printHelp(w io.Writer, c command, fs *flag.FlagSet) {
	r, n := utf8.DecodeRuneInString(c.about)
	fmt.Fprintf(w, "usage: clip %s\n\n%c%s.\n\nflags:\n", c.usage, unicode.ToUpper(r), c.about[n:])
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// isHelp reports whether a command-line word asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// helpRequest is parse's error for -h or --help: run prints the command's help from its
// flag set.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return flag.ErrHelp.Error() }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

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
		fmt.Fprint(stderr, usage())
		return 2
	}
	if isHelp(args[0]) {
		if len(args) == 1 {
			fmt.Fprint(stdout, usage())
			return 0
		}
		args = []string{args[1], "-h"} // clip help COMMAND
	}
	var cmd command
	for _, c := range commands {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd.run == nil {
		fmt.Fprintf(stderr, "clip: unknown command %q\n%s", args[0], usage())
		return 2
	}
	err := cmd.run(args[1:], stdout, stderr)
	var help *helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		printHelp(stdout, cmd, help.fs)
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
				return nil, &helpRequest{fs}
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
