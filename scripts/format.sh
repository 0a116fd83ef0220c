#!/usr/bin/env bash
# format.sh: apply .clang-format to every C source and header of the project.
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  only report files that differ (exit 1 if any)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'tests/helpers/*.[ch]' 'tests/fuzz/*.[ch]' | sort -u)
if [ "${1:-}" = --check ]; then
  clang-format --dry-run --Werror "${files[@]}"
  echo "clang-format: ${#files[@]} files follow .clang-format"
else
  clang-format -i "${files[@]}"
fi
