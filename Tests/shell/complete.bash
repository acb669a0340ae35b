#!/bin/bash
# complete.bash SCRIPT LINE
#
# Prints the candidates bash offers for LINE with the cursor at its end, one a line, the
# way bash-completion would: LINE is split into COMP_WORDS as readline splits it (at blanks,
# and at runs of the COMP_WORDBREAKS characters '=' and ':', each run a word of its own),
# COMP_CWORD, COMP_LINE and COMP_POINT are set, and the function `complete -p` names for
# the first word is called with the command, the text being completed and the word before.
# bash-completion itself is loaded first, as in an interactive shell.

source /usr/share/bash-completion/bash_completion
source "$1"
line=$2

COMP_WORDS=()
word= breaks=
for ((k = 0; k < ${#line}; k++)); do
    c=${line:k:1}
    case $c in
        [[:space:]])
            [[ -n $word ]] && COMP_WORDS+=("$word")
            word= breaks=
            ;;
        [=:])
            [[ -n $word && -z $breaks ]] && COMP_WORDS+=("$word") && word=
            word+=$c breaks=1
            ;;
        *)
            [[ -n $breaks ]] && COMP_WORDS+=("$word") && word=
            word+=$c breaks=
            ;;
    esac
done
COMP_WORDS+=("$word")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
cur=${COMP_WORDS[COMP_CWORD]}
[[ $cur == *[=:] ]] && cur=
prev=
((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

spec=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null) || { echo "no completion for ${COMP_WORDS[0]}" >&2; exit 2; }
function=${spec#*-F }
function=${function%% *}
COMPREPLY=()
"$function" "${COMP_WORDS[0]}" "$cur" "$prev"
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
exit 0
