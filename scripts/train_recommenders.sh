#!/usr/bin/env bash
# Trains every recommender on the meta-dataset: the set model (30 epochs) and the five
# ClustRecNet variants. Each run checkpoints every epoch; run this again after an interruption
# and each run resumes where it stopped. Usage:
#   bash scripts/train_recommenders.sh [LABELS_CSV] [CLUSTRECNET_EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
labels=${1:-runs/metadataset.csv}
crn_epochs=${2:-30}

train() {  # name, epochs, cache, extra args...
    local name=$1 epochs=$2 cache=$3
    shift 3
    local run=runs/recommender-$name resume=()
    [ -f "$run/state.json" ] && resume=(--resume)
    .venv/bin/clusterlab recommend train --labels "$labels" --run "$run" --epochs "$epochs" --cache "$cache" \
        "${resume[@]}" "$@"
}

train set 30 runs/examples-set.npz
for variant in cnnresatt baseline_cnn no_cnn no_res no_att; do
    train "$variant" "$crn_epochs" runs/examples-grid.npz --model-name "$variant"
done
