#!/bin/sh
# docs/input.md from the option table itself (`nqs run --help` lists every input key with its
# default, meaning and allowed values). make check fails when docs/input.md is out of date.
# Usage: make-input-doc.sh PATH/TO/nqs > docs/input.md
set -eu
printf '# Input reference\n\n'
printf 'Every key of the input file, generated from the option table of the program (`nqs run --help`\n'
printf 'prints the same; `scripts/make-input-doc.sh build/nqs > docs/input.md` regenerates this page).\n'
printf 'An input file is INI: `[section]` headers, `key = value` lines, `#` comments; `seed` may stand\n'
printf 'before the first section. `--set section.key=value` on the command line overrides any key.\n'
printf 'A key the command would not read (another system type'"'"'s section, say) is refused, as are\n'
printf 'unknown keys (with the nearest key suggested), values of the wrong type and values out of range;\n'
printf 'the message names the file, the line and what is allowed.\n'
"$1" run --help | awk '
  function flush() { if (key != "") printf "| `%s` | %s | %s | %s |\n", key, def, text, allowed; key = "" }
  /^  \[/ { flush(); sub(/^  /, ""); printf "\n## %s\n\n| key | default | meaning | allowed |\n|---|---|---|---|\n", $0; on = 1; next }
  on && /^    [A-Za-z0-9_]+ +default / {
    flush()
    # fixed columns of the help table: the default from column 32, the meaning from column 47
    # (a default too long for its column pushes the meaning one space after it)
    key = $1; def = substr($0, 32, 15); sub(/ +$/, "", def); text = substr($0, 47)
    if (substr($0, 46, 1) != " ") { def = substr($0, 32); text = def; sub(/ .*/, "", def); sub(/^[^ ]+ +/, "", text) }
    def = def == "\"\"" ? "(empty)" : "`" def "`"
    gsub(/\|/, "\\|", text); allowed = ""; next
  }
  on && /^                    +\(/ { a = $0; sub(/^ +\(/, "", a); sub(/\)$/, "", a); gsub(/\|/, "\\|", a); allowed = a; next }
  on && /^$/ { flush(); on = 0 }
  END { flush() }
'
