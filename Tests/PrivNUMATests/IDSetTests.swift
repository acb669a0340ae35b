import Testing

@testable import PrivNUMA

@Suite struct IDSetTests {
  @Test func kernelListRoundTrips() {
    let set = IDSet(kernelList: "0-3,8,10-11\n")
    #expect(set == IDSet([0, 1, 2, 3, 8, 10, 11]))
    #expect(set?.listDescription == "0-3,8,10-11")
  }

  @Test func emptyAndMalformedLists() {
    #expect(IDSet(kernelList: "\n")?.isEmpty == true)
    #expect(IDSet(kernelList: "3-1") == nil)
    #expect(IDSet(kernelList: "a") == nil)
    #expect(IDSet(kernelList: "1,,2") == nil)
  }

  @Test func setAlgebraAcrossWords() {
    let a = IDSet([1, 64, 130])
    let b = IDSet([64, 200])
    #expect(a.union(b) == IDSet([1, 64, 130, 200]))
    #expect(a.intersection(b) == IDSet([64]))
    #expect(a.subtracting(b) == IDSet([1, 130]))
    #expect(a.first == 1 && a.last == 130 && a.count == 3)
    #expect(IDSet([5]).isSubset(of: IDSet([1, 5])))
    #expect(IDSet([1]) == IDSet([1, 300]).subtracting(IDSet([300])))
  }

  @Test func hexMask() {
    #expect(Format.hexMask(IDSet([0, 2])) == "0x5")
    #expect(Format.hexMask(IDSet([64])) == "0x10000000000000000")
  }
}
