/// `privnuma stat` (being written).
enum Inspect {
  static func stat(_ args: ArraySlice<String>, _ environment: Environment) -> Result<Int32, Failure> {
    .failure(.usage("'privnuma stat' is not available yet"))
  }
}
