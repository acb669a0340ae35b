/// The bash script: the shared helpers, and what only bash does (joining the words readline
/// split at '=' and ':', offering values through COMPREPLY, handing over to the completion
/// of the command being launched).
extension CompletionScripts {
  static var bash: String {
    "# bash completion for privnuma(1)                          -*- shell-script -*-\n"
      + header("bash") + "\n" + #"""

      _privnuma_commands=\#(singleQuoted(firstWords.map(\.name).joined(separator: " ")))
      _privnuma_modes=\#(singleQuoted(modes.joined(separator: " ")))

      \#(shellHelpers)

      # Adds to COMPREPLY each value of kind $1 that starts with $3, preceded by $2.
      _privnuma_values()
      {
          local kind=$1 lead=$2 value=$3 c IFS=$'\n'
          local -a found=() from=()
          [[ -n $registry ]] && from=(--registry "$registry")
          case $kind in
              nodes | node | cpus | cpunodes)
                  found=($("$prog" __complete "$kind" "${from[@]}" -- "$value" 2>/dev/null))
                  ;;
              mode)
                  IFS=' '
                  found=($_privnuma_modes)
                  ;;
              pid)
                  for c in /proc/[0-9]*; do found+=("${c#/proc/}"); done
                  ;;
              dir)
                  found=($(compgen -d -- "$value"))
                  compopt -o filenames 2>/dev/null
                  ;;
              file)
                  found=($(compgen -f -- "$value"))
                  compopt -o filenames 2>/dev/null
                  ;;
              words:*)
                  IFS=,
                  found=(${kind#words:})
                  ;;
          esac
          for c in "${found[@]}"; do
              [[ $c == "$value"* ]] && COMPREPLY+=("$lead$c")
          done
      }

      # Adds to COMPREPLY each option of context $1 that starts with $2.
      _privnuma_offer_options()
      {
          local w
          local -a reply
          _privnuma_options "$1"
          for w in "${reply[@]}"; do
              [[ ${w%%=*} == "$2"* ]] && COMPREPLY+=("${w%%=*}")
          done
      }

      _privnuma_offer_commands()
      {
          _privnuma_values "words:${_privnuma_commands// /,}" "" "$1"
      }

      # Hands the line from word $1 on to the completion of the command found there.
      _privnuma_hand_over()
      {
          if declare -F _comp_command_offset >/dev/null; then
              _comp_command_offset "$1"
          elif declare -F _command_offset >/dev/null; then
              _command_offset "$1"
          elif ((COMP_CWORD == $1)); then
              COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}"))
          else
              COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
          fi
      }

      _privnuma()
      {
          COMPREPLY=()
          # Bash splits '--membind=0' and 'rank:2,3' at '=' and ':' (COMP_WORDBREAKS); join
          # them back into privnuma's words W, remembering in R where each began.
          local line=${COMP_LINE:0:COMP_POINT} w j
          local -a W=() R=()
          for ((j = 0; j <= COMP_CWORD; j++)); do
              w=${COMP_WORDS[j]}
              if ((j == 0)) || [[ $line == [[:space:]]* ]]; then
                  line=${line#"${line%%[![:space:]]*}"}
                  W+=("$w")
                  R+=("$j")
              else
                  W[${#W[@]} - 1]+=$w
              fi
              line=${line#"$w"}
          done
          local n=$((${#W[@]} - 1))
          local cur=${W[n]} prog=${W[0]} ctx=launch pending= registry= start= done= lead
          local _privnuma_name _privnuma_kind REPLY
          [[ $prog == */* && -x $prog ]] || prog=privnuma

          _privnuma_scan "${W[@]:1}"
          if [[ -n $start ]]; then
              _privnuma_hand_over "${R[start]}"
              return
          fi
          _privnuma_complete_word "$cur" "$n"

          # Readline replaces only what follows the last '=' or ':' that bash split at.
          [[ $COMP_WORDBREAKS == *=* && $cur == *=* ]] && lead=${cur%"${cur##*=}"}
          [[ $COMP_WORDBREAKS == *:* && ${cur#"$lead"} == *:* ]] && lead=${cur%"${cur##*:}"}
          if [[ -n $lead ]]; then
              COMPREPLY=("${COMPREPLY[@]#"$lead"}")
          fi
      }

      complete -F _privnuma privnuma

      """#
  }
}
