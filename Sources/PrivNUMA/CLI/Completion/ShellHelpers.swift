/// The part of the bash and zsh scripts both shells run as written: the option and operand
/// tables of each context, and the functions that read the line the way privnuma will and
/// decide what the word under the cursor is. It uses only what the two shells share (`[[ ]]`,
/// `(( ))`, `local`, arrays read as `"${a[@]}"`, `${s:offset:length}`), so it is written once.
///
/// Each script then brings what only its shell can do, as functions this part calls:
/// `_privnuma_values KIND LEAD VALUE` offers the values of KIND for the word (LEAD is the
/// part that stays as typed), `_privnuma_offer_options CONTEXT WORD` the options of a
/// context and `_privnuma_offer_commands WORD` the command names.
extension CompletionScripts {
  static var shellHelpers: String {
    var optionCases = ""
    for group in grouped({ table($0) }) {
      optionCases += "        \(group.names.joined(separator: "|"))) reply=(\(group.key.map(singleQuoted).joined(separator: " "))) ;;\n"
    }
    var operandCases = ""
    for group in grouped({ operandWord($0.operands) }) where !group.key.isEmpty {
      operandCases += "        \(group.names.joined(separator: "|"))) REPLY=\(singleQuoted(group.key)) ;;\n"
    }
    return #"""
      # The options of a context (the launch, or a command) as NAME=KIND words in the array
      # reply: KIND is empty for a flag; nodes, node, cpus, dir, file, mode, pid or text for an
      # option with a value; >CONTEXT for an option that hands the rest of the line to a command.
      _privnuma_options()
      {
          case $1 in
      \#(optionCases)        *) reply=() ;;
          esac
      }

      # What the words after a context's options are: command (a program to run), a KIND,
      # or words:W1,W2.
      _privnuma_operands()
      {
          case $1 in
      \#(operandCases)        *) REPLY= ;;
          esac
      }

      # The context subcommand word $2 of context $1 opens (fence status: fence-status), in
      # REPLY; empty when it opens none.
      _privnuma_subcommand()
      {
          case $1:$2 in
              \#(subcommandPatterns.joined(separator: "|"))) REPLY=$1-$2 ;;
              *) REPLY= ;;
          esac
      }

      # Finds option $2 (a name, a prefix of one long name, or -X) in context $1; sets
      # _privnuma_name and _privnuma_kind, or returns 1.
      _privnuma_lookup()
      {
          local entry found= count=0
          local -a reply
          _privnuma_options "$1"
          for entry in "${reply[@]}"; do
              if [[ ${entry%%=*} == "$2" ]]; then
                  found=$entry count=1
                  break
              fi
              if [[ $2 == --?* && ${entry%%=*} == "$2"* ]]; then
                  found=$entry
                  ((count++))
              fi
          done
          ((count == 1)) || return 1
          _privnuma_name=${found%%=*}
          _privnuma_kind=${found#*=}
      }

      # Reads option word $1 of the caller's context: sets the caller's `pending` when the
      # next word is its value, `registry` for --registry, `ctx` for -H and -s.
      _privnuma_read_option()
      {
          local letters
          if [[ $1 == --* ]]; then
              _privnuma_lookup "$ctx" "${1%%=*}" || return 0
              case $_privnuma_kind in
                  '') ;;
                  '>'*) ctx=${_privnuma_kind#>} ;;
                  *)
                      if [[ $1 != *=* ]]; then
                          pending=$_privnuma_name
                      elif [[ $_privnuma_name == --registry ]]; then
                          registry=${1#*=}
                      fi
                      ;;
              esac
              return 0
          fi
          letters=${1#-}
          while [[ -n $letters ]]; do
              _privnuma_lookup "$ctx" "-${letters:0:1}" || return 0
              letters=${letters:1}
              case $_privnuma_kind in
                  '') ;;
                  '>'*)
                      ctx=${_privnuma_kind#>}
                      return 0
                      ;;
                  *)
                      [[ -z $letters ]] && pending=$_privnuma_name
                      return 0
                      ;;
              esac
          done
      }

      # Reads the words after privnuma's own name ($@, the last one the word under the cursor)
      # the way privnuma will: sets the caller's ctx, pending, registry and done, and start to
      # the position in $@ of the first word of a program to run when the cursor is in one.
      _privnuma_scan()
      {
          local i=0 w
          for w in "$@"; do
              ((++i == $#)) && break
              if [[ -n $pending ]]; then
                  [[ $pending == --registry ]] && registry=$w
                  pending=
              elif ((i == 1)) && [[ $w != -* ]]; then
                  ctx=$w
              elif [[ -z $done && $w == -- ]]; then
                  done=1
                  _privnuma_operands "$ctx"
                  if [[ $REPLY == command ]]; then
                      start=$((i + 1))
                      return
                  fi
              elif [[ -z $done && $w == -?* ]]; then
                  _privnuma_read_option "$w"
              else
                  _privnuma_subcommand "$ctx" "$w"
                  if [[ -n $REPLY ]]; then
                      ctx=$REPLY
                      continue
                  fi
                  _privnuma_operands "$ctx"
                  if [[ $REPLY == command ]]; then
                      start=$i
                      return
                  fi
              fi
          done
          if [[ -z $pending && $w != -* ]] && (($# > 1)); then
              _privnuma_operands "$ctx"
              [[ $REPLY == command ]] && start=$#
          fi
      }

      # Offers what may stand at the cursor: word $1, the $2nd after privnuma's own name, in
      # the context _privnuma_scan read (a program to run is handed over before this).
      _privnuma_complete_word()
      {
          local cur=$1 operands letters lead
          _privnuma_operands "$ctx"
          operands=$REPLY
          if [[ -n $pending ]]; then
              _privnuma_lookup "$ctx" "$pending" && _privnuma_values "$_privnuma_kind" "" "$cur"
          elif [[ -z $done && $cur == --*=* ]]; then
              if _privnuma_lookup "$ctx" "${cur%%=*}" && [[ -n $_privnuma_kind && $_privnuma_kind != '>'* ]]; then
                  _privnuma_values "$_privnuma_kind" "$_privnuma_name=" "${cur#*=}"
              fi
          elif [[ -z $done && $cur == -* ]]; then
              # -m0,1: a value glued to its option letter.
              letters=${cur#-} lead=-
              while [[ -n $letters ]] && _privnuma_lookup "$ctx" "-${letters:0:1}"; do
                  lead+=${letters:0:1} letters=${letters:1}
                  [[ -z $_privnuma_kind ]] && continue
                  [[ -n $letters && $_privnuma_kind != '>'* ]] && _privnuma_values "$_privnuma_kind" "$lead" "$letters"
                  break
              done
              if [[ -z $letters || $cur == --* ]]; then
                  _privnuma_offer_options "$ctx" "$cur"
              fi
          elif (($2 == 1)); then
              _privnuma_offer_commands "$cur"
          elif [[ -n $operands ]]; then
              _privnuma_values "$operands" "" "$cur"
          fi
      }
      """#
  }
}
