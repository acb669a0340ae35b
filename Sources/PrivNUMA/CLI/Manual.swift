/// The OPTIONS and COMMANDS sections of privnuma(1), generated from `launchOptions` and
/// `Command.all`. The rest of the page is written by hand; `make generated` splices these
/// sections in between two comment lines, and a test fails when the checked-in page differs.
enum Manual {
  static let begin = #".\" Generated from the command table by 'make generated': edit the table, not this part."#
  static let end = #".\" End of the generated part."#

  /// The generated part, from `begin` to `end`.
  static var sections: String {
    var out = begin + "\n.SH OPTIONS\n"
    for group in OptionSpec.Group.allCases {
      out += ".SS \(group.manualTitle)\n" + group.manualIntro
      for option in launchOptions where option.group == group {
        out += ".TP\n" + tag(option) + "\n" + option.manual + "\n"
      }
      if !group.manualOutro.isEmpty { out += ".PP\n" + group.manualOutro }
    }
    out += ".SH COMMANDS\n" + Command.manualIntro
    for command in Command.all {
      if command.subcommands.isEmpty {
        out += ".TP\n" + tag(words(command.name, command.synopsis)) + "\n" + command.manual + "\n"
      }
      for sub in command.subcommands {
        out += ".TP\n" + tag(words(command.name, sub.name, sub.synopsis)) + "\n" + sub.manual + "\n"
      }
    }
    return out + end + "\n"
  }

  /// `page` with its generated part replaced by `sections`; nil when the markers are missing.
  static func splice(_ page: String) -> String? {
    var lines = page.split(separator: "\n", omittingEmptySubsequences: false)
    guard let first = lines.firstIndex(where: { $0 == begin }),
      let last = lines.firstIndex(where: { $0 == end }), first < last
    else { return nil }
    lines.replaceSubrange(first...last, with: [Substring(sections.dropLast())])
    return lines.joined(separator: "\n")
  }

  static func words(_ parts: String...) -> String { parts.filter { !$0.isEmpty }.joined(separator: " ") }

  /// `\fB\-m\fR, \fB\-\-membind\fR=\fINODES\fR`.
  static func tag(_ option: OptionSpec) -> String {
    var out = option.short.map { "\\fB\\-\($0)\\fR, " } ?? ""
    out += "\\fB" + escaped("--" + option.long) + "\\fR"
    if let value = option.value { out += "=\\fI" + value + "\\fR" }
    return out
  }

  /// A synopsis in roff: options and command words bold, placeholders (capitals) italic,
  /// brackets and punctuation roman.
  static func tag(_ synopsis: String) -> String {
    var out = ""
    var word = ""
    func flush() {
      guard !word.isEmpty else { return }
      let placeholder = word.allSatisfy { $0.isUppercase || $0 == "_" }
      out += (placeholder ? "\\fI" : "\\fB") + escaped(word) + "\\fR"
      word = ""
    }
    for character in synopsis {
      if character.isLetter || character.isNumber || character == "-" || character == "_" {
        word.append(character)
      } else {
        flush()
        out.append(character)
      }
    }
    flush()
    return out
  }

  /// Hyphens as roff's minus sign, so they are searchable and never broken.
  static func escaped(_ text: String) -> String { text.replacingAll("-", with: "\\-") }
}

extension OptionSpec.Group {
  var manualTitle: String {
    switch self {
    case .policy: return "Memory policy"
    case .cpu: return "CPU binding"
    case .modifier: return "Modifiers"
    case .shared: return "Shared memory"
    case .general: return "General"
    }
  }

  /// Text between the group's heading and its first option, in roff.
  var manualIntro: String {
    switch self {
    case .policy: return "One per launch: two policy options, even the same one twice, are a usage error.\n"
    case .shared:
      return #"""
        numactl's other half: instead of running a command, set the policy with
        .BR mbind (2)
        on shared memory that outlives privnuma, so that every process mapping it gets its
        pages placed by that policy.

        """#
    default: return ""
    }
  }

  /// Text after the group's options, in roff.
  var manualOutro: String {
    switch self {
    case .policy:
      return """
        On a kernel older than the mode needs, the launch fails with exit status 1 and names the
        release that added it; privnuma never falls back to another mode silently.

        """
    case .cpu: return "As in numactl, when several are given the last one decides.\n"
    case .modifier, .shared: return ""
    case .general:
      return #"""
        Long options may be abbreviated to any unambiguous prefix
        .RB ( \-\-mem
        is
        .BR \-\-membind ).
        Values may be given as
        .BR \-\-opt=V ,
        .BR "\-\-opt V" ,
        .B \-oV
        or
        .BR "\-o V" ;
        flags cluster
        .RB ( \-bl ).

        """#
    }
  }
}

extension Command {
  /// The paragraph before the COMMANDS entries, in roff.
  static let manualIntro = #"""
    Every command reads the machine from sysfs and the registry and changes nothing, except
    .B migrate
    and
    .BR "fence apply" .
    Each takes
    .B \-\-json
    for one stable, documented schema (see
    .BR "JSON OUTPUT" ),
    .BI \-\-registry " DIR"
    and
    .BR \-\-help .

    """#
}
