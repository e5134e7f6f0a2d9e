#!/bin/sh
# Runs the Indexed Job, waits for every shard, then the merge Job; prints the merged summary.
set -eu
here=$(dirname "$0")
kubectl apply -f "$here/fuzz-job.yaml"
kubectl wait --for=condition=complete --timeout=24h job/rcsim-fuzz
kubectl delete job/rcsim-merge --ignore-not-found
kubectl apply -f "$here/merge-job.yaml"
kubectl wait --for=condition=complete --timeout=1h job/rcsim-merge || true
kubectl logs job/rcsim-merge
