/// `privnuma migrate` (being written).
enum Migrate {
  static func run(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    .failure(.usage("'privnuma migrate' is not available yet"))
  }
}
