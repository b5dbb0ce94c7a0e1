#!/usr/bin/env bash
# xla-check.sh BIN_DIR [BACKEND]: the checks of the XLA training path that need a GPU host,
# from binaries built beforehand by `make xla-check-build` (BIN_DIR holds clip and
# train.test, or clip.xz and train.test.xz), so the host needs no Go toolchain, only bash and the PJRT plugin:
#   1. TestXLAMatchesGo: two training steps on BACKEND (default xla:cuda) against the
#      pure-Go backend, full batch and gradient caching, and a --bf16 loss;
#   2. clip train on generated shards on BACKEND (gradient caching, a checkpoint, resume),
#      export, and classify with the exported folder.
# The plugin: $PJRT_PLUGIN_LIBRARY_PATH if set (as `clip xla-install` prints), else the
# CUDA plugin of an installed JAX (jax-cuda13-pjrt or jax-cuda12-pjrt), laid out the way
# go-xla looks for it: DIR/nvidia/pjrt_c_api_cuda_plugin.so beside the NVIDIA libraries.
# BACKEND=go runs the same steps on the CPU, to try the script anywhere.
set -euo pipefail
bin=$(cd "${1:?usage: xla-check.sh BIN_DIR [BACKEND]}" && pwd)
backend=${2:-xla:cuda}
work=$(mktemp -d)
# make xla-check-build leaves the binaries xz-compressed (clip.xz, train.test.xz)
if [[ -f $bin/clip.xz ]]; then
	mkdir -p "$work/bin"
	for f in clip train.test; do xz -dc "$bin/$f.xz" >"$work/bin/$f" && chmod +x "$work/bin/$f"; done
	bin=$work/bin
fi

if [[ $backend == xla:cuda && -z ${PJRT_PLUGIN_LIBRARY_PATH:-} ]]; then
	site=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' 2>/dev/null || true)
	plugin=$(ls "$site"/jax_plugins/xla_cuda1*/xla_cuda_plugin.so 2>/dev/null | sort | tail -1 || true)
	if [[ -z $plugin ]]; then
		echo "xla-check: no PJRT plugin: set PJRT_PLUGIN_LIBRARY_PATH (see clip xla-install) or install JAX with CUDA" >&2
		exit 2
	fi
	mkdir -p "$work/go-xla/nvidia"
	ln -s "$plugin" "$work/go-xla/nvidia/pjrt_c_api_cuda_plugin.so"
	for d in "$site"/nvidia/*/; do ln -s "$d" "$work/go-xla/nvidia/"; done
	export PJRT_PLUGIN_LIBRARY_PATH=$work/go-xla/nvidia
	export LD_LIBRARY_PATH=$(ls -d "$site"/nvidia/*/lib 2>/dev/null | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	echo "xla-check: using $plugin"
fi

echo "== TestXLAMatchesGo on $backend"
if ! (cd "$work" && CLIP_XLA_TEST=$backend "$bin/train.test" -test.run 'TestXLAMatchesGo' -test.v -test.count=1); then
	# go-xla skips a plugin it cannot load without saying why: show what the loader misses
	for p in "${PJRT_PLUGIN_LIBRARY_PATH:-.}"/pjrt_c_api_*_plugin.so; do
		[[ -e $p ]] && { echo "xla-check: $p"; ldd "$p" 2>&1 | grep -E 'not found|not a dynamic' || true; }
	done
	exit 1
fi

echo "== clip train on $backend"
clip="$bin/clip"
"$clip" synth --out "$work/synth" --shards 2 --per-shard 256 >/dev/null
train=("$clip" train --data "$work/synth/shards/*.tar" --eval "$work/synth/eval" --out "$work/run"
	--backend "$backend" --model-config tiny --batch 64 --micro-batch 32 --lr 2e-3 --warmup 5
	--checkpoint-every 10 --eval-every 20 --quiet)
"${train[@]}" --steps 20
"${train[@]}" --steps 40 --resume
"$clip" export --checkpoint "$work/run" --out "$work/model" >/dev/null
head -2 "$work/run/metrics.jsonl" | cut -c1-200
tail -1 "$work/run/metrics.jsonl" | cut -c1-300
labels=$(ls "$work/synth/eval" | tr _ ' ' | paste -sd,)
"$clip" classify --model "$work/model" --labels "$labels" --top 2 "$(ls "$work"/synth/eval/*/* | head -1)"
echo "== xla-check passed on $backend"
