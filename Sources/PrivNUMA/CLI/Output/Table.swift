/// Text tables for listings (stat, audit, migrate).
enum Table {
  /// Columns padded to their widest cell: the first `leftColumns` flush left, the rest right.
  static func layout(_ table: [[String]], leftColumns: Int) -> String {
    var widths = [Int](repeating: 0, count: table.map(\.count).max() ?? 0)
    for line in table { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
    var out = ""
    for line in table {
      var cells: [String] = []
      for (index, cell) in line.enumerated() {
        cells.append(index < leftColumns ? Format.padRight(cell, widths[index]) : Format.pad(cell, widths[index]))
      }
      var text = cells.joined(separator: "  ")
      while text.hasSuffix(" ") { text.removeLast() }
      out += text + "\n"
    }
    return out
  }
}
