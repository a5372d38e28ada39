//! The `ptsplan` binary: parse arguments, run the command, map the outcome to an exit code.

/// Planning a thousand scenes and running the emulator allocate and free small values by the
/// million; mimalloc does that with a fraction of glibc's CPU (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ptsplan::cli::main()
}
