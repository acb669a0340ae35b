import Foundation
import Testing

@testable import PrivNUMA

/// The hand-written JSON writer: what it prints must parse, and large documents must come
/// out the same whether held whole or handed on in pieces.
@Suite struct JSONTests {
  @Test func numbersAtTheirLimits() {
    let json = JSON.array([.int(0), .int(7), .int(10), .int(-1), .int(Int.min), .int(Int.max)])
    #expect(json.rendered() == "[0, 7, 10, -1, -9223372036854775808, 9223372036854775807]")
    #expect(JSON.uint(UInt64.max).rendered() == "18446744073709551615")
    #expect(JSON.uint(1_000_000).rendered() == "1000000")
  }

  @Test func numberMapReadsLikeAnObject() throws {
    let map = JSON.numberMap(keys: [0, 1, 12, 13, 1023], values: [10, 21, 100, 7, 65535])
    let object = JSON.object([("0", .int(10)), ("1", .int(21)), ("12", .int(100)), ("13", .int(7)), ("1023", .int(65535))])
    #expect(map.rendered(indent: 2) == object.rendered(indent: 2))
    #expect(map.rendered(pretty: false) == #"{"0":10,"1":21,"12":100,"13":7,"1023":65535}"#)
    #expect(JSON.numberMap(keys: [], values: []).rendered() == "{}")
    let parsed = try JSONSerialization.jsonObject(with: Data(map.rendered().utf8)) as? [String: Int]
    #expect(parsed == ["0": 10, "1": 21, "12": 100, "13": 7, "1023": 65535])
  }

  /// Maps of two-digit values are written from their keys' text with the digits put in, others
  /// member by member: all read like the same objects, across pieces and in both layouts. The
  /// last map's text is larger than a piece.
  @Test func twoDigitMapsReadLikeObjects() {
    let keys = Array(0..<1200)
    var maps: [(keys: [Int], values: [UInt16])] = (0..<8).map { row in
      (keys, keys.map { UInt16(10 + ($0 + row) % 90) })
    }
    maps.append((keys, keys.map { $0 == 700 ? 100 : 99 }))
    maps.append((keys, keys.map { $0 == 0 ? 5 : 10 }))
    maps.append((Array(0..<5000), Array(repeating: 21, count: 5000)))
    let numberMaps = JSON.array(maps.map { .numberMap(keys: $0.keys, values: $0.values) })
    let objects = JSON.array(
      maps.map { map in
        .object(zip(map.keys, map.values).map { (String($0), .int(Int($1))) })
      })
    for pretty in [true, false] {
      let rendered = numberMaps.rendered(indent: 4, pretty: pretty)
      #expect(rendered == objects.rendered(indent: 4, pretty: pretty))
    }
    var pieces: [[UInt8]] = []
    numberMaps.write { pieces.append(Array($0)) }
    #expect(pieces.count > 3)
    #expect(String(decoding: pieces.joined(), as: UTF8.self) == objects.rendered() + "\n")
  }

  @Test func escapesControlsInPieces() {
    let json = JSON.object([("name", .string("a\"b\\c\n\u{1B}[2J\u{85}é"))])
    #expect(json.rendered() == "{\n  \"name\": \"a\\\"b\\\\c\\n\\u001b[2J\\u0085é\"\n}")
  }

  /// A document larger than one piece: the pieces put together are the whole document.
  @Test func piecesMakeTheWholeDocument() {
    let ids = Array(0..<300)
    let rows = JSON.array(ids.map { id in .object([("id", .int(id)), ("distances", .numberMap(keys: ids, values: ids.map { UInt16($0 * 37 % 1000) }))]) })
    var pieces: [[UInt8]] = []
    rows.write { pieces.append(Array($0)) }
    #expect(pieces.count > 2)
    #expect(String(decoding: pieces.joined(), as: UTF8.self) == rows.rendered() + "\n")
  }
}
