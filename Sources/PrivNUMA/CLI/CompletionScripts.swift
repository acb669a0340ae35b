/// The bash, zsh and fish completion scripts, generated from the tables the parser itself
/// reads (`launchOptions`, the query commands' options, `CLI.commands`, the policy modes),
/// so a new option is completed the day it is parsed. `make completions` writes them to
/// completions/, and a test fails when the checked-in copies differ from this output.
///
/// The three scripts share one model: a *context* is the launch itself or a subcommand;
/// each has options (with the kind of value they take) and operands (NODES, PIDs, fixed
/// words, or a command to run, whose own completion takes over after its first word).
enum CompletionScripts {
  static let shells = ["bash", "zsh", "fish"]

  static func script(for shell: String) -> String? {
    switch shell {
    case "bash": return bash
    case "zsh": return zsh
    case "fish": return fish
    default: return nil
    }
  }

  // MARK: - The model

  /// What an option's value or a command's operands complete to. `nodes`, `node` and
  /// `cpus` are asked of privnuma when TAB is pressed (`privnuma __complete nodes`).
  enum Value: String {
    case nodes, node, cpus, dir, file, mode, pid, text
  }

  static func value(of option: OptionSpec) -> Value? {
    guard let name = option.value else { return nil }
    switch name {
    case "NODES": return .nodes
    case "NODE": return .node
    case "CPUS": return .cpus
    case "DIR": return .dir
    case "FILE": return .file
    case "MODE": return .mode
    case "PID": return .pid
    default: return .text
    }
  }

  /// What the words after a context's options are.
  enum Operands {
    /// A command to run: its own completion takes over.
    case command
    case values(Value)
    case words([String])
    case none
  }

  struct Context {
    var name: String
    var options: [OptionSpec]
    var operands: Operands
  }

  /// Policy modes `check --policy` takes: those with nodes.
  static var modes: [String] { PolicyMode.allCases.filter(\.takesNodes).map(\.name) }

  /// Launch options that end the launch and hand the rest of the line to a query
  /// (`-H --json` is `hardware --json`); `end` means nothing more is read.
  static func switchTarget(_ option: OptionSpec) -> String? {
    guard queryOptions.contains(option.long) else { return nil }
    return option.long == "show" || option.long == "hardware" ? option.long : "end"
  }

  static var contexts: [Context] {
    let query = [Queries.json, Queries.registry, Queries.help]
    var list = [Context(name: "launch", options: launchOptions, operands: .command)]
    for command in CLI.commands.map(\.name) {
      switch command {
      case "explain":
        list.append(Context(name: command, options: [Queries.json] + launchOptions.filter { switchTarget($0) == nil } + [Queries.help], operands: .command))
      case "check":
        list.append(Context(name: command, options: query + [Queries.policy, Queries.balancing], operands: .values(.nodes)))
      case "stat":
        list.append(Context(name: command, options: query, operands: .values(.pid)))
      case "migrate":
        list.append(Context(name: command, options: query + [Migrate.to, Migrate.from, Migrate.allowUnfenced], operands: .values(.pid)))
      case "fence":
        list.append(Context(name: command, options: query + [Fence.dryRunOption], operands: .words(["status", "apply"])))
      default:
        list.append(Context(name: command, options: query, operands: .none))
      }
    }
    list.append(Context(name: "help", options: [], operands: .words(CLI.commands.map(\.name))))
    return list
  }

  /// `NAME=KIND` for each spelling of each option of a context: KIND empty for a flag, a
  /// `Value` for an option with a value, `>CONTEXT` for a switch to another context.
  static func table(_ context: Context) -> [String] {
    var entries: [String] = []
    for option in context.options {
      let kind = switchTarget(option).map { context.name == "launch" ? ">" + $0 : ">end" } ?? value(of: option)?.rawValue ?? ""
      entries.append("--\(option.long)=\(kind)")
      if let short = option.short { entries.append("-\(short)=\(kind)") }
    }
    return entries
  }

  static func operandWord(_ operands: Operands) -> String {
    switch operands {
    case .command: return "command"
    case .values(let value): return value.rawValue
    case .words(let words): return "words:" + words.joined(separator: ",")
    case .none: return ""
    }
  }

  /// Contexts that share a table, grouped so the scripts list each table once.
  static func grouped<T: Equatable>(_ key: (Context) -> T) -> [(names: [String], key: T)] {
    var groups: [(names: [String], key: T)] = []
    for context in contexts {
      let value = key(context)
      if let index = groups.firstIndex(where: { $0.key == value }) {
        groups[index].names.append(context.name)
      } else {
        groups.append(([context.name], value))
      }
    }
    return groups
  }

  static func singleQuoted(_ text: String) -> String {
    "'" + text.replacingAll("'", with: "'\\''") + "'"
  }

  static func fishQuoted(_ text: String) -> String {
    "'" + text.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'") + "'"
  }

  static func header(_ shell: String) -> String {
    """
    # Generated by 'privnuma __complete scripts \(shell)' from privnuma's own option tables;
    # do not edit: run 'make completions' after changing an option. Node numbers, registry
    # labels, 'all' and 'private' are asked of the installed privnuma when TAB is pressed
    # ('privnuma __complete nodes'); after the command's first word, that command's own
    # completion takes over.
    """
  }

  // MARK: - bash

  static var bash: String {
    var optionCases = ""
    for group in grouped({ table($0) }) {
      optionCases += "        \(group.names.joined(separator: " | "))) REPLY=\(singleQuoted(group.key.joined(separator: " "))) ;;\n"
    }
    var operandCases = ""
    for group in grouped({ operandWord($0.operands) }) where !group.key.isEmpty {
      operandCases += "        \(group.names.joined(separator: " | "))) REPLY=\(singleQuoted(group.key)) ;;\n"
    }
    return "# bash completion for privnuma(1)                          -*- shell-script -*-\n"
      + header("bash") + "\n" + #"""

      _privnuma_commands=\#(singleQuoted(CLI.commands.map(\.name).joined(separator: " ")))
      _privnuma_modes=\#(singleQuoted(modes.joined(separator: " ")))

      # The options of a context (the launch, or a command) as NAME=KIND words: KIND is empty
      # for a flag; nodes, node, cpus, dir, file, mode, pid or text for an option with a
      # value; >CONTEXT for an option that hands the rest of the line to a command.
      _privnuma_options()
      {
          case $1 in
      \#(optionCases)        *) REPLY= ;;
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

      # Finds option $2 (a name, a prefix of one long name, or -X) in context $1; sets
      # _privnuma_name and _privnuma_kind, or returns 1.
      _privnuma_lookup()
      {
          local entry found= count=0
          _privnuma_options "$1"
          for entry in $REPLY; do
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

      # Adds to COMPREPLY each value of kind $1 that starts with $3, preceded by $2.
      _privnuma_values()
      {
          local kind=$1 lead=$2 value=$3 c IFS=$'\n'
          local -a found=() from=()
          [[ -n $registry ]] && from=(--registry "$registry")
          case $kind in
              nodes | node | cpus)
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
          local cur=${W[n]} prog=${W[0]} ctx=launch pending= registry= start= done= i
          local _privnuma_name _privnuma_kind REPLY
          [[ $prog == */* && -x $prog ]] || prog=privnuma

          for ((i = 1; i < n; i++)); do
              w=${W[i]}
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
                      break
                  fi
              elif [[ -z $done && $w == -?* ]]; then
                  _privnuma_read_option "$w"
              else
                  _privnuma_operands "$ctx"
                  if [[ $REPLY == command ]]; then
                      start=$i
                      break
                  fi
              fi
          done
          if [[ -n $start ]]; then
              _privnuma_hand_over "${R[start]}"
              return
          fi

          _privnuma_operands "$ctx"
          local operands=$REPLY letters lead
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
                  _privnuma_options "$ctx"
                  for w in $REPLY; do
                      [[ ${w%%=*} == "$cur"* ]] && COMPREPLY+=("${w%%=*}")
                  done
              fi
          elif ((n == 1)); then
              _privnuma_values "words:${_privnuma_commands// /,}" "" "$cur"
          elif [[ $operands == command ]]; then
              _privnuma_hand_over "${R[n]}"
              return
          elif [[ -n $operands ]]; then
              _privnuma_values "$operands" "" "$cur"
          fi

          # Readline replaces only what follows the last '=' or ':' that bash split at.
          lead=
          [[ $COMP_WORDBREAKS == *=* && $cur == *=* ]] && lead=${cur%"${cur##*=}"}
          [[ $COMP_WORDBREAKS == *:* && ${cur#"$lead"} == *:* ]] && lead=${cur%"${cur##*:}"}
          if [[ -n $lead ]]; then
              COMPREPLY=("${COMPREPLY[@]#"$lead"}")
          fi
      }

      complete -F _privnuma privnuma

      """#
  }

  // MARK: - zsh

  static var zsh: String {
    var optionCases = ""
    for group in grouped({ table($0) }) {
      optionCases += "    \(group.names.joined(separator: "|"))) reply=(\(group.key.map(singleQuoted).joined(separator: " "))) ;;\n"
    }
    var describedCases = ""
    for group in grouped({ described($0) }) where !group.key.isEmpty {
      describedCases += "    \(group.names.joined(separator: "|"))) reply=(\n"
      for line in group.key { describedCases += "      \(singleQuoted(line))\n" }
      describedCases += "    ) ;;\n"
    }
    var operandCases = ""
    for group in grouped({ operandWord($0.operands) }) where !group.key.isEmpty {
      operandCases += "    \(group.names.joined(separator: "|"))) REPLY=\(singleQuoted(group.key)) ;;\n"
    }
    let commands = CLI.commands.map { singleQuoted($0.name + ":" + $0.summary) }.joined(separator: "\n    ")
    return "#compdef privnuma\n# zsh completion for privnuma(1)\n"
      + header("zsh") + "\n" + #"""

      _privnuma_commands=(
          \#(commands)
      )
      _privnuma_modes=(\#(modes.joined(separator: " ")))

      # The options of a context (the launch, or a command) as NAME=KIND words: KIND is empty
      # for a flag; nodes, node, cpus, dir, file, mode, pid or text for an option with a
      # value; >CONTEXT for an option that hands the rest of the line to a command.
      _privnuma_options() {
        case $1 in
      \#(optionCases)    *) reply=() ;;
        esac
      }

      # The same options with what they do, for the listing.
      _privnuma_described() {
        case $1 in
      \#(describedCases)    *) reply=() ;;
        esac
      }

      # What the words after a context's options are: command (a program to run), a KIND,
      # or words:W1,W2.
      _privnuma_operands() {
        case $1 in
      \#(operandCases)    *) REPLY= ;;
        esac
      }

      # Finds option $2 (a name, a prefix of one long name, or -X) in context $1; sets
      # _privnuma_name and _privnuma_kind, or returns 1.
      _privnuma_lookup() {
        local entry found= count=0
        local -a reply
        _privnuma_options $1
        for entry in $reply; do
          if [[ ${entry%%=*} == $2 ]]; then
            found=$entry count=1
            break
          fi
          if [[ $2 == --?* && ${entry%%=*} == ${(b)2}* ]]; then
            found=$entry
            (( count++ ))
          fi
        done
        (( count == 1 )) || return 1
        _privnuma_name=${found%%=*}
        _privnuma_kind=${found#*=}
      }

      # Reads option word $1 of the caller's context: sets the caller's `pending` when the
      # next word is its value, `registry` for --registry, `ctx` for -H and -s.
      _privnuma_read_option() {
        local letters
        if [[ $1 == --* ]]; then
          _privnuma_lookup $ctx ${1%%=*} || return 0
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
          _privnuma_lookup $ctx -${letters[1]} || return 0
          letters=${letters[2,-1]}
          case $_privnuma_kind in
            '') ;;
            '>'*) ctx=${_privnuma_kind#>}; return 0 ;;
            *) [[ -z $letters ]] && pending=$_privnuma_name; return 0 ;;
          esac
        done
      }

      # Offers the values of kind $1 for the current word, after the part $2 of it that
      # stays as typed (an option glued to its value).
      _privnuma_values() {
        local kind=$1 lead=$2 expl
        local -a found
        [[ -n $lead ]] && compset -P ${(b)lead}
        case $kind in
          nodes|node|cpus)
            found=(${(f)"$($prog __complete $kind ${registry:+--registry} $registry -- $PREFIX 2>/dev/null)"})
            _wanted $kind expl ${kind%s} compadd -a found
            ;;
          mode) _wanted modes expl 'policy mode' compadd -a _privnuma_modes ;;
          pid) _pids ;;
          dir) _directories ;;
          file) _files ;;
          words:*) found=(${(s:,:)kind#words:}); _wanted values expl value compadd -a found ;;
          *) _message value ;;
        esac
      }

      _privnuma() {
        local ctx=launch pending= registry= start= done= i w prog=${words[1]}
        local _privnuma_name _privnuma_kind REPLY
        local -a reply
        [[ $prog == */* && -x $prog ]] || prog=privnuma

        for (( i = 2; i < CURRENT; i++ )); do
          w=${words[i]}
          if [[ -n $pending ]]; then
            [[ $pending == --registry ]] && registry=$w
            pending=
          elif (( i == 2 )) && [[ $w != -* ]]; then
            ctx=$w
          elif [[ -z $done && $w == -- ]]; then
            done=1
            _privnuma_operands $ctx
            if [[ $REPLY == command ]]; then
              start=$(( i + 1 ))
              break
            fi
          elif [[ -z $done && $w == -?* ]]; then
            _privnuma_read_option $w
          else
            _privnuma_operands $ctx
            if [[ $REPLY == command ]]; then
              start=$i
              break
            fi
          fi
        done
        if [[ -z $start && -z $pending && $PREFIX != -* ]] && (( CURRENT > 2 )); then
          _privnuma_operands $ctx
          [[ $REPLY == command ]] && start=$CURRENT
        fi
        if [[ -n $start ]]; then
          # The command's own completion, as if it had been typed alone.
          words=("${(@)words[start,-1]}")
          (( CURRENT -= start - 1 ))
          _normal
          return
        fi

        _privnuma_operands $ctx
        local operands=$REPLY cur=$PREFIX letters lead
        if [[ -n $pending ]]; then
          _privnuma_lookup $ctx $pending && _privnuma_values $_privnuma_kind ''
        elif [[ -z $done && $cur == --*=* ]]; then
          if _privnuma_lookup $ctx ${cur%%=*} && [[ -n $_privnuma_kind && $_privnuma_kind != '>'* ]]; then
            _privnuma_values $_privnuma_kind $_privnuma_name=
          fi
        elif [[ -z $done && $cur == -* ]]; then
          # -m0,1: a value glued to its option letter.
          letters=${cur#-} lead=-
          while [[ -n $letters ]] && _privnuma_lookup $ctx -${letters[1]}; do
            lead+=${letters[1]} letters=${letters[2,-1]}
            [[ -z $_privnuma_kind ]] && continue
            [[ -n $letters && $_privnuma_kind != '>'* ]] && _privnuma_values $_privnuma_kind $lead
            break
          done
          if [[ -z $letters || $cur == --* ]]; then
            _privnuma_described $ctx
            _describe -t options option reply
          fi
        elif (( CURRENT == 2 )); then
          _describe -t commands 'privnuma command' _privnuma_commands
        elif [[ -n $operands ]]; then
          _privnuma_values $operands ''
        fi
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

  // MARK: - fish

  static var fish: String {
    var optionCases = ""
    for group in grouped({ table($0) }) {
      optionCases += "        case \(group.names.joined(separator: " "))\n            printf '%s\\n' \(group.key.map(fishQuoted).joined(separator: " "))\n"
    }
    var operandCases = ""
    for group in grouped({ operandWord($0.operands) }) where !group.key.isEmpty {
      operandCases += "        case \(group.names.joined(separator: " "))\n            echo \(fishQuoted(group.key))\n"
    }
    var completions = ""
    for context in contexts {
      for option in context.options {
        var line = "complete -c privnuma -n '__privnuma_in \(context.name)'"
        if let short = option.short { line += " -s \(short)" }
        line += " -l \(option.long)"
        if let value = value(of: option) {
          line += " -x -a '(__privnuma_values \(value.rawValue))'"
        }
        line += " -d " + fishQuoted(option.summary)
        completions += line + "\n"
      }
    }
    for command in CLI.commands {
      completions += "complete -c privnuma -n '__privnuma_in top' -a \(command.name) -d \(fishQuoted(command.summary))\n"
    }
    for context in contexts {
      switch context.operands {
      case .values(let value):
        completions += "complete -c privnuma -n '__privnuma_in \(context.name)' -a '(__privnuma_values \(value.rawValue))'\n"
      case .words(let words):
        completions += "complete -c privnuma -n '__privnuma_in \(context.name)' -a \(fishQuoted(words.joined(separator: " ")))\n"
      case .command, .none: break
      }
    }
    completions += "complete -c privnuma -n '__privnuma_in command' -a '(__privnuma_hand_over)'\n"

    return "# fish completion for privnuma(1)\n" + header("fish") + "\n" + #"""

      # The options of a context (the launch, or a command) as NAME=KIND words: KIND is empty
      # for a flag; nodes, node, cpus, dir, file, mode, pid or text for an option with a
      # value; >CONTEXT for an option that hands the rest of the line to a command.
      function __privnuma_options
          switch $argv[1]
      \#(optionCases)    end
      end

      # What the words after a context's options are: command (a program to run), a KIND,
      # or words:W1,W2.
      function __privnuma_operands
          switch $argv[1]
      \#(operandCases)    end
      end

      # Finds option $argv[2] (a name, a prefix of one long name, or -X) in context
      # $argv[1]; prints its name and kind on two lines, or returns 1.
      function __privnuma_lookup
          set -l found
          for entry in (__privnuma_options $argv[1])
              set -l name (string split -m1 = -- $entry)[1]
              if test "$name" = "$argv[2]"
                  set found $entry
                  break
              end
              if string match -q -- '--?*' $argv[2]; and string match -q -- "$argv[2]*" $name
                  set -a found $entry
              end
          end
          test (count $found) -eq 1; or return 1
          string split -m1 = -- $found
      end

      # Reads the line before the cursor the way privnuma will: sets __privnuma_ctx (launch,
      # a command, or 'command' once the words are a program to run), __privnuma_start (the
      # token where that program begins) and __privnuma_registry.
      function __privnuma_scan
          set -l tokens (commandline -opc)
          set -l cur (commandline -ct)
          set -l ctx launch
          set -l pending
          set -l done 0
          set -g __privnuma_registry
          set -g __privnuma_start 0
          set -l n (count $tokens)
          for i in (seq 2 $n)
              set -l w $tokens[$i]
              if test -n "$pending"
                  test "$pending" = --registry; and set -g __privnuma_registry $w
                  set pending
              else if test $i -eq 2; and not string match -q -- '-*' $w
                  set ctx $w
              else if test $done -eq 0; and test "$w" = --
                  set done 1
                  if test "$(__privnuma_operands $ctx)" = command
                      set -g __privnuma_start (math $i + 1)
                      set -g __privnuma_ctx command
                      return
                  end
              else if test $done -eq 0; and string match -q -- '-?*' $w
                  if string match -q -- '--*' $w
                      set -l found (__privnuma_lookup $ctx (string split -m1 = -- $w)[1]); or continue
                      switch "$found[2]"
                          case ''
                          case '>*'
                              set ctx (string sub -s 2 -- $found[2])
                          case '*'
                              if not string match -q -- '*=*' $w
                                  set pending $found[1]
                              else if test "$found[1]" = --registry
                                  set -g __privnuma_registry (string split -m1 = -- $w)[2]
                              end
                      end
                  else
                      set -l letters (string sub -s 2 -- $w)
                      while test -n "$letters"
                          set -l found (__privnuma_lookup $ctx -(string sub -l 1 -- $letters)); or break
                          set letters (string sub -s 2 -- $letters)
                          switch "$found[2]"
                              case ''
                                  continue
                              case '>*'
                                  set ctx (string sub -s 2 -- $found[2])
                              case '*'
                                  test -z "$letters"; and set pending $found[1]
                          end
                          break
                      end
                  end
              else if test "$(__privnuma_operands $ctx)" = command
                  set -g __privnuma_start $i
                  set -g __privnuma_ctx command
                  return
              end
          end
          if test -z "$pending"; and test $n -gt 1; and test "$(__privnuma_operands $ctx)" = command
              if test $done -eq 1; or not string match -q -- '-*' $cur
                  set -g __privnuma_start (math $n + 1)
                  set -g __privnuma_ctx command
                  return
              end
          end
          if test $n -eq 1; and not string match -q -- '-*' $cur
              set ctx top
          end
          set -g __privnuma_ctx $ctx
      end

      # True when the cursor is in context $argv[1].
      function __privnuma_in
          __privnuma_scan
          test "$__privnuma_ctx" = "$argv[1]"
      end

      # The values of kind $argv[1] for the current word.
      function __privnuma_values
          set -l value (commandline -ct)
          string match -q -- '--*=*' $value; and set value (string split -m1 = -- $value)[2]
          set -l prog (commandline -opc)[1]
          string match -q -- '*/*' $prog; and test -x $prog; or set prog privnuma
          switch $argv[1]
              case nodes node cpus
                  set -l registry
                  test -n "$__privnuma_registry"; and set registry --registry $__privnuma_registry
                  $prog __complete $argv[1] $registry -- $value 2>/dev/null
              case mode
                  printf '%s\n' \#(modes.joined(separator: " "))
              case pid
                  __fish_complete_pids
              case dir
                  __fish_complete_directories $value
              case file
                  __fish_complete_path $value
              case 'words:*'
                  string split , -- (string sub -s 7 -- $argv[1])
          end
      end

      # The completions of the command being launched, as if it had been typed alone.
      function __privnuma_hand_over
          __privnuma_scan
          set -l tokens (commandline -opc)
          set -l words
          test $__privnuma_start -ge 1 -a $__privnuma_start -le (count $tokens)
          and set words (string escape -- $tokens[$__privnuma_start..-1])
          complete -C "$(string join ' ' -- $words (commandline -ct))"
      end

      complete -c privnuma -f
      \#(completions)
      """#
  }
}

extension String {
  /// Replaces every `target` character; Foundation-free.
  func replacingAll(_ target: Character, with replacement: String) -> String {
    var out = ""
    for character in self {
      if character == target { out += replacement } else { out.append(character) }
    }
    return out
  }
}
