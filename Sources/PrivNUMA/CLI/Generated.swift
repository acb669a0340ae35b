/// `privnuma __generate bash|zsh|fish|man`: the files generated from the command table.
/// `make generated` writes them into completions/ and man/ (the man page is read on standard
/// input and printed with its generated part replaced); a test compares the checked-in files.
enum Generated {
  static func run(_ args: ArraySlice<String>) -> Result<Int32, Failure> {
    guard let what = args.first else {
      return .failure(.usage("usage: privnuma __generate bash|zsh|fish|man (man reads the page on standard input)"))
    }
    if let script = CompletionScripts.script(for: what) {
      Diagnostics.output(script)
      return .success(0)
    }
    guard what == "man" else {
      return .failure(.usage("'privnuma __generate \(what)': unknown; use bash, zsh, fish or man"))
    }
    guard let page = FileSystem.readIfPresent("/dev/stdin") else {
      return .failure(.system("'privnuma __generate man' could not read the page on standard input"))
    }
    guard let spliced = Manual.splice(page) else {
      return .failure(.usage("the page on standard input has no generated part: the lines '\(Manual.begin)' and '\(Manual.end)' are missing"))
    }
    Diagnostics.output(spliced)
    return .success(0)
  }
}
