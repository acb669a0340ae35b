/// Human-readable figures for messages and listings: the private-node rules say sizes in
/// their refusals, so this sits below the commands that print them.
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
}
