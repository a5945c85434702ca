#!/usr/bin/env bash
# Build the training/test packs of the paper's three settings and the Sun-2019 split into cache/.
# Usage: bash scripts/pack_all.sh [DATA_ROOT]   (default ../shared/data)
set -euo pipefail
data=${1:-../shared/data}
mkdir -p cache
pack() { msdunet data pack --data "$data" --dataset "$1" --split "$2" -o "cache/$3.npz"; }
pack dut train dut_train
pack dut test dut_test
pack cuhk kim_train kim_train
pack cuhk kim_test kim_test
pack cuhk defocus_train defocus_train
pack cuhk defocus_test defocus_test
pack cuhk sun_train sun_train
pack cuhk sun_test sun_test
du -ch cache/*.npz | tail -1
