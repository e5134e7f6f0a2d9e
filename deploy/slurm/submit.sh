#!/bin/sh
# Submits the shard array and a merge job that waits for it. Environment passed through:
# RCSIM (the binary), CAMPAIGN_DIR (a directory every node sees), SEEDS (e.g. 0..100000).
set -eu
here=$(dirname "$0")
array=$(sbatch --parsable --export=ALL "$here/fuzz-array.sbatch")
merge=$(sbatch --parsable --export=ALL --dependency="afterany:$array" "$here/merge.sbatch")
echo "submitted array $array and its merge job $merge"
