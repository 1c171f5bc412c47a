import Foundation

// `parser-fuzz TARGET FILE…` runs one parser (see `ParserTargets`) on each file — the committed
// corpus as a regression test. Built by `bench/libfuzzer.sh` with `-D LIBFUZZER`, coverage
// instrumentation and AddressSanitizer, it is a libFuzzer driver instead: the target comes from
// `FINCH_FUZZ_TARGET` (libFuzzer re-runs itself with its own flags only, e.g. for `-merge=1`) and
// every argument is libFuzzer's.

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: parser-fuzz TARGET FILE…; targets: \(ParserTargets.all.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(1)
}

#if LIBFUZZER
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzer(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: FuzzCallback) -> CInt

guard let name = ProcessInfo.processInfo.environment["FINCH_FUZZ_TARGET"], let target = ParserTargets.all[name] else {
    usage()
}
nonisolated(unsafe) var selected = target
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzer(&argc, &argv) { data, count in
    let bytes = data.map { Data(bytes: $0, count: count) } ?? Data()
    _ = try? selected(bytes)
    return 0
})
#else
let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = ParserTargets.all[arguments[1]] else { usage() }
var refused = 0
for path in arguments.dropFirst(2) {
    guard let bytes = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("parser-fuzz: cannot read \(path)\n".utf8))
        exit(1)
    }
    do { try target(bytes) } catch { refused += 1 }
}
print("\(arguments[1]): \(arguments.count - 2) inputs, \(refused) refused cleanly, no crash")
#endif
