/// `privnuma fence` (being written).
enum Fence {
  static func run(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    .failure(.usage("'privnuma fence' is not available yet"))
  }
}
