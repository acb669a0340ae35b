/// Columns of listings and numastat's figures (sizes for messages are in Core/Figures).
extension Format {
  /// Pads on the left to `width`, as numactl's tables do.
  static func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
  }

  static func padRight(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }
}
