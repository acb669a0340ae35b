#!/bin/zsh -f
# complete.zsh DIR LINE
#
# Prints the candidates zsh's completion system offers for LINE with the cursor at its end,
# one a line. A real interactive zsh runs in a pseudo-terminal (zpty) with DIR first in
# $fpath and compinit loaded; LINE is typed followed by TAB. compadd is wrapped so every
# match the completion functions add is printed as "MATCH <word>" before it is added, and
# the shell exits after the first completion.

zmodload zsh/zpty || { print -u2 'zsh/zpty is missing'; exit 2 }
dir=$1 line=$2
setup=$(mktemp) || exit 2
trap 'rm -f $setup' EXIT

cat > $setup <<SETUP
PROMPT= RPROMPT= PS2=
unsetopt zle_bracketed_paste 2>/dev/null
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' list-grouped false
# Only calls that add matches are offers: -O, -A and -D only compute lists.
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "\$@"
    return
  fi
  local -a __hits
  builtin compadd -A __hits "\$@"
  local __hit
  for __hit in \$__hits; do print -r -- "MATCH \$__hit"; done
  builtin compadd "\$@"
}
__begin() { print -r -- BEGIN-MATCHES }
__end() { print -r -- END-MATCHES; exit }
compprefuncs=(__begin)
comppostfuncs=(__end)
bindkey '^I' complete-word
print -r -- READY
SETUP

zpty z zsh -f -i
zpty -w z "source ${(q)setup}"
integer deadline=$(( SECONDS + 20 ))
local out= chunk
until [[ $out == *READY* ]]; do
  zpty -rt z chunk && out+=$chunk || sleep 0.05
  (( SECONDS < deadline )) || { print -u2 "zsh did not start: $out"; zpty -d z; exit 2 }
done
zpty -wn z "$line"$'\t'
out=
until [[ $out == *END-MATCHES* ]]; do
  zpty -rt z chunk && out+=$chunk || sleep 0.05
  if (( SECONDS >= deadline )); then
    print -u2 "no completion finished for '$line': ${out//$'\r'/}"
    zpty -d z
    exit 2
  fi
done
zpty -d z
for l in ${(f)out//$'\r'/}; do
  [[ $l == MATCH\ * ]] && print -r -- ${l#MATCH }
done
exit 0
