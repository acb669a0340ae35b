/// The one place privnuma talks to stderr and stdout.
///
/// Text carries data other users choose (process names from /proc, registry values, paths),
/// and a terminal acts on control characters: an escape sequence in a process name could
/// rewrite the screen of the administrator running `audit`. So every byte that leaves here
/// has its control characters written as `\xNN`, except newline and tab; JSON documents
/// already escape them inside strings.
public enum Diagnostics {
  /// `privnuma: <message>` on stderr.
  public static func error(_ message: String) {
    writeAll(.standardError, "privnuma: " + message + "\n")
  }

  public static func warning(_ message: String) {
    writeAll(.standardError, "privnuma: warning: " + message + "\n")
  }

  /// The fail-safe rule's warning for each broken registry file (privnuma.conf(5)).
  static func registryWarnings(_ errors: [Registry.FileError]) {
    for error in errors {
      warning("\(error); the nodes this file mentions are refused until it is fixed, everything else goes on")
    }
  }

  public static func output(_ text: String) {
    writeAll(.standardOutput, text)
  }

  /// A command's report: its text, or with `--json` its JSON document; only the one asked
  /// for is built. With `machine`, the registry's broken files first as warnings, and in JSON
  /// as `registry_errors`, so a query goes on while a file is being fixed.
  static func output(
    _ text: @autoclosure () -> String, json: @autoclosure () -> JSON, asJSON: Bool, machine: Machine? = nil
  ) {
    let errors = machine?.registryErrors ?? []
    registryWarnings(errors)
    guard asJSON else { return output(text()) }
    // JSON.quote escapes every control character, C1 included: nothing to check here.
    json().adding(registryErrors: errors).write { _ = FileDescriptor.standardOutput.writeAll(UnsafeRawBufferPointer($0)) }
  }

  /// C0 controls other than newline and tab, DEL, and the C1 controls (U+0080-U+009F,
  /// which some terminals also obey) as `\xNN`; everything else unchanged.
  static func terminalSafe(_ text: String) -> String {
    if text.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x09 }) { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if (value < 0x20 && value != 0x0A && value != 0x09) || (value >= 0x7F && value <= 0x9F) {
        let hex = String(value, radix: 16, uppercase: true)
        out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// A report that cannot be written has nowhere left to go, so a failed write is dropped.
  static func writeAll(_ file: FileDescriptor, _ text: String) {
    var safe = terminalSafe(text)
    _ = safe.withUTF8 { file.writeAll(UnsafeRawBufferPointer($0)) }
  }
}
