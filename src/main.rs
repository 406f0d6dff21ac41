use std::process::ExitCode;

fn main() -> ExitCode {
    // `COMPLETE=bash hubtop -- hubtop --profile ''`: the shell asking for candidates
    // (the script `hubtop completions SHELL` prints does so). Answers and exits.
    clap_complete::CompleteEnv::with_factory(hubtop::cli::command).complete();
    let cli = hubtop::cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hubtop: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(hubtop::run(cli));
    ExitCode::from(code)
}
