/// Human-readable figures for messages and listings.
enum Format {
  /// `256 MiB`, `1.5 GiB`: binary units, one decimal where it matters.
  static func bytes(_ value: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var unit = 0
    var scaled = Double(value)
    while scaled >= 1024 && unit < units.count - 1 {
      scaled /= 1024
      unit += 1
    }
    if unit == 0 || scaled >= 100 || scaled == scaled.rounded() { return "\(Int(scaled.rounded())) \(units[unit])" }
    let tenths = Int((scaled * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[unit])"
  }

  /// Pads on the left to `width`, as numactl's tables do.
  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
  }

  static func padRight(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }

  /// MiB with two decimals, as numastat prints them.
  static func mib(_ bytes: UInt64) -> String {
    let hundredths = (bytes * 100 + (1 << 19)) >> 20
    let fraction = hundredths % 100
    return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + String(fraction)
  }
}
