/// `privnuma audit` (being written).
enum Audit {
  static func run(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    .failure(.usage("'privnuma audit' is not available yet"))
  }
}
