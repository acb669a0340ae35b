/// `privnuma __complete` (being written).
enum Completion {
  static func run(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    .failure(.usage("'privnuma __complete' is not available yet"))
  }
}
