//! Checks over the repository's own sources: the conventions that keep a run
//! without moto honest (README.md, Testing).
//!
//! A test that talks to moto is named `moto_*` so that `cargo nextest run`
//! leaves it out (and counts it as skipped) while `scripts/test.sh` runs it.
//! `support::moto` checks the name of the test that calls it; this checks
//! every test statically, through any chain of helpers, without running
//! them and without moto.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::punctuated::Punctuated;
use syn::visit::Visit;

use crate::support::{MOTO_TEST_PREFIX, assert_moto_test, repo};

/// String literals that only code starting or finding moto contains: the
/// program's name and the variable `scripts/test.sh` exports its address in.
const MOTO_LITERALS: [&str; 2] = ["moto_server", "STRATA_TEST_MOTO_URL"];

/// One function of the sources: its name, whether it is a test, what it
/// calls (by last path segment), and whether it starts or finds moto itself.
#[derive(Debug, Default)]
struct Function {
    name: String,
    file: PathBuf,
    is_test: bool,
    calls: BTreeSet<String>,
    reaches_moto_itself: bool,
}

/// Collects the functions of a file, nested modules and impl blocks included.
#[derive(Default)]
struct Collector {
    file: PathBuf,
    functions: Vec<Function>,
    current: Vec<Function>,
}

impl Collector {
    fn enter(&mut self, name: &syn::Ident, attrs: &[syn::Attribute]) {
        let is_test = attrs.iter().any(|a| a.path().segments.last().is_some_and(|s| s.ident == "test"));
        self.current.push(Function { name: name.to_string(), file: self.file.clone(), is_test, ..Function::default() });
    }

    fn leave(&mut self) {
        let f = self.current.pop().expect("a function was entered");
        self.functions.push(f);
    }

    fn called(&mut self, name: String) {
        if let Some(f) = self.current.last_mut() {
            f.calls.insert(name);
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.enter(&f.sig.ident, &f.attrs);
        syn::visit::visit_item_fn(self, f);
        self.leave();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.enter(&f.sig.ident, &f.attrs);
        syn::visit::visit_impl_item_fn(self, f);
        self.leave();
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*call.func
            && let Some(last) = p.path.segments.last()
        {
            self.called(last.ident.to_string());
        }
        // A function passed by name (`unwrap_or_else(moto)`) is called too.
        for arg in &call.args {
            if let syn::Expr::Path(p) = arg
                && let Some(last) = p.path.segments.last()
            {
                self.called(last.ident.to_string());
            }
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.called(call.method.to_string());
        for arg in &call.args {
            if let syn::Expr::Path(p) = arg
                && let Some(last) = p.path.segments.last()
            {
                self.called(last.ident.to_string());
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        if MOTO_LITERALS.contains(&lit.value().as_str())
            && let Some(f) = self.current.last_mut()
        {
            f.reaches_moto_itself = true;
        }
    }

    /// Macro arguments (`assert!`, `format!`, `vec!`) are expressions too.
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Ok(args) = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

fn functions_of(file: &Path, text: &str) -> Vec<Function> {
    let parsed = syn::parse_file(text).unwrap_or_else(|e| panic!("parse {}: {e}", file.display()));
    let mut c = Collector { file: file.to_path_buf(), ..Collector::default() };
    c.visit_file(&parsed);
    c.functions
}

/// What is wrong with the tests among `functions` (one compilation unit's
/// worth, or more: names are matched without paths, which can only make
/// more functions count as reaching moto).
fn moto_naming_problems(functions: &[Function]) -> Vec<String> {
    let mut reaching: BTreeSet<&str> = functions.iter().filter(|f| f.reaches_moto_itself).map(|f| f.name.as_str()).collect();
    loop {
        let before = reaching.len();
        for f in functions {
            if f.calls.iter().any(|c| reaching.contains(c.as_str())) {
                reaching.insert(&f.name);
            }
        }
        if reaching.len() == before {
            break;
        }
    }
    let mut problems = Vec::new();
    for f in functions.iter().filter(|f| f.is_test) {
        let marked = f.name.starts_with(MOTO_TEST_PREFIX);
        let reaches = reaching.contains(f.name.as_str());
        let file = f.file.display();
        if reaches && !marked {
            problems.push(format!("{file}: test `{}` talks to moto but is not named `{MOTO_TEST_PREFIX}*`", f.name));
        }
        if marked && !reaches {
            problems.push(format!(
                "{file}: test `{}` is named `{MOTO_TEST_PREFIX}*` but never reaches `moto()` or `provider()`: runs without moto would leave it out for nothing",
                f.name
            ));
        }
    }
    problems
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The Rust sources by compilation unit, roughly: each package's `tests/`
/// (integration tests, which may call the library but not the other way
/// round) and the files of its `src/` that name moto's program or variable
/// (unit tests beside the code never talk to moto; parsing only these keeps
/// this test fast).
fn units() -> Vec<Vec<(PathBuf, String)>> {
    let root = repo();
    let mut packages = vec![root.clone()];
    packages.extend(crate::support::dirs(&root.join("crates")));
    let mut units = Vec::new();
    for package in packages {
        for part in ["src", "tests"] {
            let mut files = Vec::new();
            rust_files(&package.join(part), &mut files);
            files.sort();
            let texts = files.into_iter().map(|f| {
                let text = std::fs::read_to_string(&f).unwrap();
                (f.strip_prefix(&root).unwrap_or(&f).to_path_buf(), text)
            });
            let quoted = MOTO_LITERALS.map(|l| format!("\"{l}\""));
            units.push(texts.filter(|(_, text)| part == "tests" || quoted.iter().any(|q| text.contains(q.as_str()))).collect());
        }
    }
    units
}

#[test]
fn tests_that_talk_to_moto_are_named_moto() {
    let mut problems = Vec::new();
    let mut moto_tests = 0;
    for files in units() {
        let functions: Vec<Function> = files.iter().flat_map(|(file, text)| functions_of(file, text)).collect();
        moto_tests += functions.iter().filter(|f| f.is_test && f.name.starts_with(MOTO_TEST_PREFIX)).count();
        problems.extend(moto_naming_problems(&functions));
    }
    assert!(problems.is_empty(), "moto tests must be named `{MOTO_TEST_PREFIX}*` (README.md, Testing):\n{}", problems.join("\n"));
    // The check saw the moto tests (28 in strata-aws and 14 here when it was written).
    assert!(moto_tests >= 40, "only {moto_tests} moto tests found: the sources moved?");
}

/// The nextest filter and the test script agree with the prefix.
#[test]
fn nextest_leaves_moto_tests_out_by_default_and_the_test_script_runs_them() {
    let config = std::fs::read_to_string(repo().join(".config/nextest.toml")).unwrap();
    let filter = format!("default-filter = 'not test(/(^|::){MOTO_TEST_PREFIX}\\w*$/)'");
    let (default, full) = config.split_once("[profile.full]").expect("a `full` profile");
    assert!(default.contains("[profile.default]") && default.contains(&filter), "the default profile lacks `{filter}`:\n{config}");
    assert!(full.contains("default-filter = 'all()'"), "the full profile must run every test:\n{config}");
    let script = std::fs::read_to_string(repo().join("scripts/test.sh")).unwrap();
    assert!(script.contains("--profile full"), "scripts/test.sh must run the full profile");
}

/// The check can fail: a test reaching moto through two helpers without the
/// name, and a named test that never reaches moto, are both found.
#[test]
fn the_moto_naming_check_finds_unmarked_and_needlessly_marked_tests() {
    let text = r#"
        fn start() -> Moto { let c = std::process::Command::new("moto_server"); todo!() }
        fn with_network() -> Moto { let m = start(); m }
        struct Fixture;
        impl Fixture { fn new() -> Fixture { let _ = with_network(); Fixture } }
        #[test]
        fn unmarked_through_helpers() { let f = Fixture::new(); }
        #[tokio::test]
        async fn unmarked_through_a_macro() { assert!(with_network().url.is_empty()); }
        #[test]
        fn unmarked_by_name() { let m = None.unwrap_or_else(start); }
        #[test]
        fn moto_marked_and_reaching() { let m = start(); }
        #[test]
        fn moto_marked_for_nothing() { assert_eq!(1, 1); }
        #[test]
        fn unrelated() { assert_eq!(1, 1); }
    "#;
    let problems = moto_naming_problems(&functions_of(Path::new("x.rs"), text));
    let named: Vec<&str> = problems.iter().map(|p| p.split('`').nth(1).unwrap()).collect();
    assert_eq!(
        named,
        ["unmarked_through_helpers", "unmarked_through_a_macro", "unmarked_by_name", "moto_marked_for_nothing"],
        "{problems:#?}"
    );
}

/// `support::moto` refuses to serve a test that is not named `moto_*`
/// (libtest names each test's thread after the test).
#[test]
fn the_moto_guard_refuses_a_test_not_named_moto() {
    let on_thread = |name: &str| std::thread::Builder::new().name(name.into()).spawn(assert_moto_test).unwrap().join();
    assert!(on_thread("e2e::moto_applies").is_ok());
    let refused = on_thread("e2e::applies").expect_err("an unmarked test is refused");
    let message = refused.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("`e2e::applies` talks to moto but its name does not start with `moto_`"), "{message}");
}

/// Text files the repository tracks (`git ls-files`), except vendored copies.
fn tracked_text_files() -> Vec<(String, String)> {
    let out = std::process::Command::new("git").args(["ls-files", "-z"]).current_dir(repo()).output().expect("run git ls-files");
    assert!(out.status.success(), "git ls-files: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|p| !p.is_empty() && !p.starts_with("vendor/"))
        .filter_map(|p| std::fs::read_to_string(repo().join(p)).ok().map(|text| (p.to_string(), text)))
        .collect()
}

/// Guards against absolute paths of the machine the repository was written
/// on (shared files are `../shared/...`, caches are `$HOME/...`).
#[test]
fn no_tracked_file_names_an_absolute_path_of_this_machine() {
    let machine_paths = ["/work/", "/root/.cache", "/root/.cargo", "/tmp/bash_jobs"];
    let this_file = "tests/tidy.rs";
    let found: Vec<String> = tracked_text_files()
        .iter()
        .filter(|(p, _)| p != this_file)
        .flat_map(|(p, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| machine_paths.iter().any(|m| l.contains(m)))
                .map(move |(i, l)| format!("{p}:{}: {}", i + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "absolute paths of one machine in tracked files:\n{}", found.join("\n"));
}
