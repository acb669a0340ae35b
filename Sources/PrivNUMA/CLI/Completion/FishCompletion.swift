/// The fish script: fish's own `complete` lines, one per option and operand of each context,
/// with functions that read the line the way privnuma will.
extension CompletionScripts {
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
    for command in firstWords {
      completions += "complete -c privnuma -n '__privnuma_in top' -a \(command.name) -d \(fishQuoted(command.summary))\n"
    }
    for context in contexts {
      switch context.operands {
      case .values(let value, _):
        completions += "complete -c privnuma -n '__privnuma_in \(context.name)' -a '(__privnuma_values \(value.rawValue))'\n"
      case .words(let words):
        completions += "complete -c privnuma -n '__privnuma_in \(context.name)' -a \(fishQuoted(words.joined(separator: " ")))\n"
      case .commandName:
        completions += "complete -c privnuma -n '__privnuma_in \(context.name)' -a \(fishQuoted(commandNames.joined(separator: " ")))\n"
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
              else if contains -- $ctx:$w \#(subcommandPatterns.joined(separator: " "))
                  set ctx $ctx-$w
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
              case nodes node cpus cpunodes
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
