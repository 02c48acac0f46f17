#!/usr/bin/env bash
# The gettext catalogues (translations/<lang>/LC_MESSAGES/messages.po, under version control).
#   bash scripts/i18n.sh extract    # collect every marked message into translations/messages.pot
#   bash scripts/i18n.sh update     # extract, then merge the new messages into each language's .po
#   bash scripts/i18n.sh compile    # build the .mo files the app reads (scripts/test.sh does this first)
#   bash scripts/i18n.sh init LANG  # start a new language (then add it to core/i18n.py SUPPORTED)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=".venv/bin/pybabel"
[ -x "$PYBABEL" ] || PYBABEL="pybabel"
# Keywords: core's `_`/`ngettext` (core/i18n.py), Flask-Babel's `gettext`/`ngettext`/`lazy_gettext`.
KEYWORDS=(-k _ -k _l -k gettext -k ngettext:1,2 -k lazy_gettext -k lazy_ngettext:1,2)

extract() {
  "$PYBABEL" -q extract -F babel.cfg "${KEYWORDS[@]}" --no-location --sort-output \
    --project VistaFlow -o translations/messages.pot .
}

case "${1:-}" in
  extract) extract ;;
  update)
    extract
    "$PYBABEL" -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete -w 120
    ;;
  compile) "$PYBABEL" -q compile -d translations ;;
  init)
    [ -n "${2:-}" ] || { echo "usage: scripts/i18n.sh init LANG" >&2; exit 2; }
    extract
    "$PYBABEL" init -i translations/messages.pot -d translations -l "$2"
    ;;
  *) echo "usage: scripts/i18n.sh extract|update|compile|init LANG" >&2; exit 2 ;;
esac
