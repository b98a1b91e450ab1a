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

status=0
for stack in $head_stacks; do
  diff_args=()
  note=""
  base_json="$out/base-$stack.json"
  if grep -qxF "$stack" <<< "$base_stacks" && (cd "$base_dir" && npm run --silent plan -- --stack "$stack" --json "$base_json" --quiet) > "$out/base-$stack.log" 2>&1; then
    diff_args=(--diff "$base_json")
  else
    note="No baseline: the base branch has no plan for this stack (new stack, or its plan fails; see base-$stack.log)."
  fi
  (cd "$head_dir" && npm run --silent plan -- --stack "$stack" --json "$out/head-$stack.json" "${diff_args[@]}") > "$out/$stack.txt" 2>&1
  code=$?
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
