/// A numastat table: one row per item (a counter, a meminfo key, a process), one column per
/// node and a Total, laid out as numastat does, with its `-c` (compact: whole numbers, narrow
/// columns), `-s[NODE]` (rows by Total, or by NODE, largest first) and `-z` (no all-zero rows
/// or columns). Private nodes are marked `*` in the header and named under the table.
struct NodeTable {
  struct Row {
    var name: String
    /// One value per column of `nodes`, in `unit` (signed: an interval shows changes).
    var values: [Int64]
    var total: Int64 { values.reduce(0, +) }
  }

  /// numastat's options that change a table's layout.
  struct Layout: Equatable {
    var compact = false
    /// `-s`: nil for no sorting, -1 for sorting by Total, else by that node's column.
    var sortBy: Int?
    var skipZero = false
  }

  var title: String
  var nodes: [Int]
  var rows: [Row]
  var showTotal = true
  /// A last row summing the rows shown (numastat's process tables).
  var totalRow = false
  /// What the values count, for JSON: "bytes" or "pages".
  var unit = "bytes"
  /// Shown divided by this (1 MiB for bytes, as numastat shows MBs; 1 for counts), with two
  /// decimals unless compact or a divisor of 1.
  var divisor: Int64 = 1 << 20

  /// The table after `-s` and `-z`: the rows and the columns (indices into `nodes`) kept.
  func arranged(_ layout: Layout) -> (rows: [Row], columns: [Int]) {
    var rows = self.rows
    var columns = Array(nodes.indices)
    if layout.skipZero {
      rows = rows.filter { $0.values.contains { $0 != 0 } }
      columns = columns.filter { column in rows.contains { $0.values[column] != 0 } }
    }
    if let sortBy = layout.sortBy {
      let column = nodes.firstIndex(of: sortBy)
      rows.sort { a, b in
        let (x, y) = column.map { (a.values[$0], b.values[$0]) } ?? (a.total, b.total)
        return x > y
      }
    }
    return (rows, columns)
  }

  func rendered(_ layout: Layout, privateNodes: [PrivateNode]) -> String {
    let (rows, columns) = arranged(layout)
    let privateIDs = privateNodes.map(\.id)
    var out = title + "\n"
    if rows.isEmpty {
      return out + "(no non-zero rows)\n"
    }
    let places = layout.compact || divisor == 1 ? 0 : 2
    var header = [""] + columns.map { "Node \(nodes[$0])" + (privateIDs.contains(nodes[$0]) ? "*" : "") }
    if showTotal { header.append("Total") }
    var body: [[String]] = []
    for row in rows {
      var cells = [row.name]
      for column in columns { cells.append(shown(row.values[column], places)) }
      if showTotal { cells.append(shown(columns.reduce(0) { $0 + row.values[$1] }, places)) }
      body.append(cells)
    }
    if totalRow && rows.count > 1 {
      var cells = ["Total"]
      for column in columns { cells.append(shown(rows.reduce(0) { $0 + $1.values[column] }, places)) }
      if showTotal { cells.append(shown(rows.reduce(0) { sum, row in sum + columns.reduce(0) { $0 + row.values[$1] } }, places)) }
      body.append(cells)
    }
    // numastat: a 16-wide label column and 16-wide value columns; compact: as wide as needed.
    var widths = header.map(\.count)
    for cells in body { for (index, cell) in cells.enumerated() { widths[index] = max(widths[index], cell.count) } }
    if !layout.compact { widths = widths.enumerated().map { $0.offset == 0 ? max($0.element, 16) : max($0.element, 15) } }
    func line(_ cells: [String]) -> String {
      var text = Format.padRight(cells[0], widths[0])
      for index in cells.indices.dropFirst() { text += " " + Format.pad(cells[index], widths[index]) }
      while text.hasSuffix(" ") { text.removeLast() }
      return text + "\n"
    }
    out += line(header)
    out += line([""] + widths.dropFirst().map { String(repeating: "-", count: $0) })
    for cells in body { out += line(cells) }
    let marked = privateNodes.filter { node in columns.contains { nodes[$0] == node.id } }
    if !marked.isEmpty {
      out += "* private: " + marked.map { "node \($0.id) \($0.label) (\($0.backend.rawValue))" }.joined(separator: ", ") + "\n"
    }
    return out
  }

  /// A value in the display unit: two decimals (rounded) or a whole number.
  func shown(_ value: Int64, _ places: Int) -> String {
    let hundredths = (abs(value) * 100 + divisor / 2) / divisor
    let sign = value < 0 && hundredths != 0 ? "-" : ""
    if places == 0 { return sign + String((hundredths + 50) / 100) }
    let fraction = hundredths % 100
    return sign + "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + String(fraction)
  }

  /// `{ "title": ..., "unit": "bytes"|"pages", "nodes": [..], "private_nodes": [..],
  /// "rows": [ { "name": .., "values": { "0": .. }, "total": .. } ] }`, after `-s` and `-z`;
  /// values are whole bytes or pages.
  func json(_ layout: Layout, privateNodes: [PrivateNode]) -> JSON {
    let (rows, columns) = arranged(layout)
    return .object([
      ("title", .string(title)),
      ("unit", .string(unit)),
      ("nodes", .array(columns.map { .int(nodes[$0]) })),
      ("private_nodes", .array(privateNodes.filter { node in columns.contains { nodes[$0] == node.id } }.map { .int($0.id) })),
      (
        "rows",
        .array(rows.map { row in
          .object([
            ("name", .string(row.name)),
            ("values", .object(columns.map { (String(nodes[$0]), .int(Int(row.values[$0]))) })),
            ("total", .int(Int(columns.reduce(0) { $0 + row.values[$1] }))),
          ])
        })
      ),
    ])
  }
}
