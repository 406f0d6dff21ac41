//! Generates the hubtop companion update set from its sources (assets/servicenow/src).
//!
//!     cargo run --example companion_update_set -- --write
//!         rewrites assets/servicenow/hubtop_companion_update_set.xml (scope x_hubtop)
//!     cargo run --example companion_update_set -- --scope x_acme_hubtop > acme.xml
//!         the same set in another application scope (then `companion = "x_acme_hubtop"`
//!         in the hubtop profile)

use hubtop::sim::api::companion::update_set::{self, COMMITTED, DEFAULT_SCOPE};

fn main() {
    let mut scope = DEFAULT_SCOPE.to_string();
    let mut write = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--write" => write = true,
            "--scope" => scope = args.next().unwrap_or_default(),
            other => {
                eprintln!("unknown argument {other}: use --write or --scope SCOPE");
                std::process::exit(2);
            }
        }
    }
    if !hubtop::client::trigger::valid_scope(&scope) {
        eprintln!("--scope {scope}: an application scope is lowercase letters, digits and _");
        std::process::exit(2);
    }
    let xml = update_set::generate(update_set::spec(), &scope);
    if write {
        if scope != DEFAULT_SCOPE {
            eprintln!("--write writes the committed file, which is for {DEFAULT_SCOPE}; print other scopes instead");
            std::process::exit(2);
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
        std::fs::write(&path, xml).expect("write the update set");
        eprintln!("wrote {}", path.display());
    } else {
        print!("{xml}");
    }
}
