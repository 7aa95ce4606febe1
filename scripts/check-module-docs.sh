#!/usr/bin/env bash
# check-module-docs.sh [BUILD_DIR]: each shipped module's README (modules/<name>/README.md)
# against the parameters its library declares, as plexus-module-info reads them from
# BUILD_DIR/lib/plexus/modules/libplexus_<name>.so. Every declared parameter must
# have a row `| `name` | type | default | ... |` in the README (default `value`, `""`
# when empty, or required), and every such row must name a declared parameter.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
info="$build/bin/plexus-module-info"
status=0
checked=0

for readme in "$repo"/modules/*/README.md; do
  name="$(basename "$(dirname "$readme")")"
  library="$build/lib/plexus/modules/libplexus_$name.so"
  if [[ ! -f "$library" ]]; then
    echo "module_docs: $name: $library is not built" >&2
    status=1
    continue
  fi
  declared="$("$info" --parameters "$library")" || { echo "module_docs: $name: plexus-module-info failed" >&2; status=1; continue; }
  # Rows of the README's parameter tables: | `name` | type | default | meaning |
  rows="$(grep -E '^\| `[a-z_0-9]+` \| (string|int|double|bool|duration|bytes) \|' "$readme" || true)"
  # (A non-whitespace separator: with tabs, read would merge an empty default away.)
  while IFS=$'\x1f' read -r module parameter type default doc; do
    [[ -z "$parameter" ]] && continue
    case "$default" in
      "(required)") cell="required" ;;
      "") cell='`""`' ;;
      *) cell="\`$default\`" ;;
    esac
    expected="| \`$parameter\` | $type | $cell |"
    # A parameter shared by two modules of one library is documented once.
    if ! grep -qF -- "$expected" <<<"$rows"; then
      echo "module_docs: $readme: no row '$expected' for parameter '$parameter' of module '$module'" >&2
      status=1
    fi
    checked=$((checked + 1))
  done < <(tr '\t' '\037' <<<"$declared")
  while read -r row; do
    [[ -z "$row" ]] && continue
    parameter="$(sed -E 's/^\| `([a-z_0-9]+)`.*/\1/' <<<"$row")"
    if ! cut -f2 <<<"$declared" | grep -qx -- "$parameter"; then
      echo "module_docs: $readme: documents parameter '$parameter', which no module of libplexus_$name.so declares" >&2
      status=1
    fi
  done <<<"$rows"
done
echo "module_docs: $checked declared parameters checked against modules/*/README.md"
exit "$status"
