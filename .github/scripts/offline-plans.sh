#!/usr/bin/env bash
# Offline plan of every stack in <head>, diffed against the same stack planned from <base>, written
# as one Markdown PR comment (<out>/comment.md) plus the plan documents and full text per stack.
# A stack is a name with a stack file in platform/stacks or serving/stacks; `npm run plan -- --stack <s>`
# plans both projects (platform, then serving fed platform's outputs), so one section covers both.
# Exit 1 if any head plan fails (policy violation or invalid config); the comment is written first.
# Usage: offline-plans.sh <head checkout> <base checkout> <out dir>
set -uo pipefail
head_dir=$(cd "$1" && pwd)
base_dir=$(cd "$2" && pwd)
mkdir -p "$3"
out=$(cd "$3" && pwd)
marker="<!-- llm-blueprint-offline-plan -->"
# GitHub comments hold 65536 characters; keep each stack's full text well inside that.
max_chars=15000

comment="$out/comment.md"
{
  echo "$marker"
  echo "## Offline plan (no cloud access): changes against the base branch"
  echo
  echo "Head \`${GITHUB_SHA:-local}\`. Produced by \`npm run plan -- --stack <s> --diff <base plan>\`; exit codes: 0 clean, 1 mandatory policy violation, 2 invalid config."
} > "$comment"

# Stack names of a checkout, one per line, sorted: the two projects' stack files (and, with a second
# argument, the single project's stacks/ of a base branch from before the split, so the first PR of
# the split still gets a baseline).
stacks_of() {
  local dirs=("$1/platform/stacks" "$1/serving/stacks")
  [ $# -gt 1 ] && dirs+=("$1/stacks")
  for dir in "${dirs[@]}"; do
    for file in "$dir"/Pulumi.*.yaml; do
      [ -f "$file" ] || continue
      name=$(basename "$file" .yaml)
      echo "${name#Pulumi.}"
    done
  done | sort -u
}

head_stacks=$(stacks_of "$head_dir")
if [ -z "$head_stacks" ]; then
  echo "No stack files under $head_dir/platform/stacks or $head_dir/serving/stacks" | tee -a "$comment" >&2
  exit 1
fi
base_stacks=$(stacks_of "$base_dir" with-legacy)

# Plans run concurrently, as many at a time as the machine has cores (a plan keeps about one core busy;
# GitHub's ubuntu runners have 4): one after another, the two plans per stack were the whole wait of this job.
# A head plan diffs against its base plan's document, so it starts only once that base plan has finished.
# Each plan writes only its own files in <out>, and the comment is assembled afterwards in head-stack
# order, so <out> holds exactly what planning one stack after another wrote. Needs bash 4.3+ (wait -n).
# OFFLINE_PLAN_JOBS sets how many at a time (fewer on a runner short of memory: a plan holds ~0.3 GB).
max_jobs=${OFFLINE_PLAN_JOBS:-$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
if ! [[ $max_jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "OFFLINE_PLAN_JOBS=\"$max_jobs\": not a whole number of plans at a time (1 or more)" | tee -a "$comment" >&2
  exit 1
fi
# Each plan's exit status, read back once all have finished (a background job cannot set our variables).
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

# Base plan of a stack, when the base branch has the stack; its status in $state/base-<stack>
# ("absent" when the base has no such stack: then no base-<stack>.log is written, as before).
plan_base() {
  local stack=$1 code=absent
  if grep -qxF "$stack" <<< "$base_stacks"; then
    (cd "$base_dir" && npm run --silent plan -- --stack "$stack" --json "$out/base-$stack.json" --quiet) > "$out/base-$stack.log" 2>&1
    code=$?
  fi
  echo "$code" > "$state/base-$stack"
}

# Head plan of a stack, diffed against its base plan when that planned; its status in $state/head-<stack>.
plan_head() {
  local stack=$1 diff_args=()
  [ "$(cat "$state/base-$stack")" = 0 ] && diff_args=(--diff "$out/base-$stack.json")
  (cd "$head_dir" && npm run --silent plan -- --stack "$stack" --json "$out/head-$stack.json" "${diff_args[@]}") > "$out/$stack.txt" 2>&1
  echo $? > "$state/head-$stack"
}

# Every base plan first (in head-stack order), then each head plan once its base has finished; a new
# plan starts whenever one ends, never more than $max_jobs at a time.
pending=()
for stack in $head_stacks; do pending+=("base $stack"); done
for stack in $head_stacks; do pending+=("head $stack"); done
running=0
while [ ${#pending[@]} -gt 0 ]; do
  not_started=()
  for task in "${pending[@]}"; do
    read -r kind stack <<< "$task"
    if [ "$running" -lt "$max_jobs" ] && { [ "$kind" = base ] || [ -f "$state/base-$stack" ]; }; then
      "plan_$kind" "$stack" &
      running=$((running + 1))
    else
      not_started+=("$task")
    fi
  done
  pending=("${not_started[@]}")
  # A task left waits for a free slot or for its base plan, so at least one plan is running here.
  # (A plan job killed before it wrote its status would leave its head waiting for nothing: stop there.)
  if [ ${#pending[@]} -gt 0 ]; then
    wait -n
    [ $? -ne 127 ] || { echo "offline-plans.sh: no plan running, yet ${pending[*]} wait (a plan job died)" | tee -a "$comment" >&2; exit 1; }
    running=$((running - 1))
  fi
done
wait

status=0
for stack in $head_stacks; do
  note=""
  [ "$(cat "$state/base-$stack")" = 0 ] || note="No baseline: the base branch has no plan for this stack (new stack, or its plan fails; see base-$stack.log)."
  code=$(cat "$state/head-$stack" 2>/dev/null) || code="unknown (the plan job died)"
  case $code in
    0) verdict="plans cleanly" ;;
    1) verdict="**mandatory policy violation**" ; status=1 ;;
    2) verdict="**invalid configuration or program error**" ; status=1 ;;
    *) verdict="exit $code" ; status=1 ;;
  esac
  {
    echo
    echo "### \`$stack\`: $verdict"
    [ -n "$note" ] && echo "$note"
    echo
    echo '```text'
    # The verdict block (exit status and why, violations, data at risk, changes, cost and its delta),
    # the policy headline, the change list with GPU and cost deltas, and the cost totals.
    sed -n '1,/^$/{/^$/!p}' "$out/$stack.txt"
    grep -E '^Policy' "$out/$stack.txt" || true
    sed -n '/^Changes against/,$p' "$out/$stack.txt"
    sed -n '/^Estimated on-demand cost/,/^$/p' "$out/$stack.txt" | grep -E '^Estimated|^  region |^  total |^  unpriced' || true
    echo '```'
    echo
    echo "<details><summary>Full plan of $stack</summary>"
    echo
    echo '```text'
    head -c "$max_chars" "$out/$stack.txt"
    [ "$(wc -c < "$out/$stack.txt")" -gt "$max_chars" ] && echo "... (truncated; the whole plan is in the workflow artifact)"
    echo '```'
    echo "</details>"
  } >> "$comment"
done
exit $status
