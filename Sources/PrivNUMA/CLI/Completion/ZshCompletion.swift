/// The zsh script: the shared helpers, and what only zsh does (options listed with what
/// they do, values offered through the completion system's own functions, `_normal` for
/// the command being launched).
extension CompletionScripts {
  static var zsh: String {
    var describedCases = ""
    for group in grouped({ described($0) }) where !group.key.isEmpty {
      describedCases += "        \(group.names.joined(separator: "|"))) reply=(\n"
      for line in group.key { describedCases += "            \(singleQuoted(line))\n" }
      describedCases += "        ) ;;\n"
    }
    let commands = firstWords.map { singleQuoted($0.name + ":" + $0.summary) }.joined(separator: "\n    ")
    return "#compdef privnuma\n# zsh completion for privnuma(1)\n"
      + header("zsh") + "\n" + #"""

      _privnuma_commands=(
          \#(commands)
      )
      _privnuma_modes=(\#(modes.joined(separator: " ")))

      \#(shellHelpers)

      # The options of a context with what they do, for the listing.
      _privnuma_described()
      {
          case $1 in
      \#(describedCases)        *) reply=() ;;
          esac
      }

      # Offers the values of kind $1 for the current word, after the part $2 of it that
      # stays as typed (an option glued to its value).
      _privnuma_values()
      {
          local kind=$1 lead=$2 expl what
          local -a found
          [[ -n $lead ]] && compset -P ${(b)lead}
          case $kind in
              nodes|node|cpus|cpunodes)
                  found=(${(f)"$($prog __complete $kind ${registry:+--registry} $registry -- $PREFIX 2>/dev/null)"})
                  what=${kind%s}
                  [[ $kind == cpunodes ]] && what='node with CPUs'
                  _wanted $kind expl $what compadd -a found
                  ;;
              mode) _wanted modes expl 'policy mode' compadd -a _privnuma_modes ;;
              pid) _pids ;;
              dir) _directories ;;
              file) _files ;;
              words:*) found=(${(s:,:)kind#words:}); _wanted values expl value compadd -a found ;;
              *) _message value ;;
          esac
      }

      _privnuma_offer_options()
      {
          local -a reply
          _privnuma_described $1
          _describe -t options option reply
      }

      _privnuma_offer_commands()
      {
          _describe -t commands 'privnuma command' _privnuma_commands
      }

      _privnuma()
      {
          local ctx=launch pending= registry= start= done= prog=${words[1]}
          local _privnuma_name _privnuma_kind REPLY
          [[ $prog == */* && -x $prog ]] || prog=privnuma

          _privnuma_scan "${(@)words[2,CURRENT-1]}" "$PREFIX"
          if [[ -n $start ]]; then
              # The command's own completion, as if it had been typed alone.
              words=("${(@)words[start+1,-1]}")
              (( CURRENT -= start ))
              _normal
              return
          fi
          _privnuma_complete_word "$PREFIX" $(( CURRENT - 1 ))
      }

      _privnuma "$@"

      """#
  }

  /// `NAME:DESCRIPTION` lines for zsh's listing, each spelling of each option.
  static func described(_ context: Context) -> [String] {
    var lines: [String] = []
    for option in context.options {
      let summary = option.summary.replacingAll(":", with: "\\:")
      lines.append("--\(option.long):\(summary)")
      if let short = option.short { lines.append("-\(short):\(summary)") }
    }
    return lines
  }
}
