fn main() -> std::process::ExitCode {
    keap_migrate::run(std::env::args_os())
}
