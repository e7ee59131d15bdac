#!/usr/bin/env bash
# House rules that a reviewer should not have to check by hand (STYLE.md):
# clang-format-22 formatting, file size limits, no junk-drawer file names.
# Prints the line count of each top-level directory.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
mapfile -t sources < <(git ls-files '*.cpp' '*.h' '*.c')

for f in $(git ls-files '*.cpp' '*.h' '*.c' '*.td' '*.py'); do
  lines=$(wc -l < "$f")
  limit=1200
  [[ $f == *.td ]] && limit=1500
  if ((lines > limit)); then
    echo "error: $f has $lines lines (limit $limit)" >&2
    status=1
  fi
  case "$(basename "${f%.*}")" in
    Utils|Helpers|Common)
      echo "error: $f: name files for what they hold" >&2
      status=1 ;;
  esac
done

if ! clang-format-22 --dry-run -Werror "${sources[@]}" 2>/tmp/kiln-format.log; then
  head -20 /tmp/kiln-format.log >&2
  echo "error: run clang-format-22 -i on the files above" >&2
  status=1
fi

echo "lines per directory:"
for d in compiler dialects frontends passes runtime tests tools; do
  [ -d "$d" ] || continue
  printf '  %-10s %6d\n' "$d" \
    "$(git ls-files "$d" | grep -E '\.(cpp|h|c|td|py|sh)$' | xargs -r cat | wc -l)"
done
exit $status
