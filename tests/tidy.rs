//! Checks over the repository's own sources: the conventions that keep a run
//! without moto honest (README.md, Testing).
//!
//! A test that talks to moto is named `moto_*` so that `cargo nextest run`
//! leaves it out (and counts it as skipped) while `scripts/test.sh` runs it.
//! `support::moto` checks the name of the test that calls it; this checks
//! every test statically, through any chain of helpers, without running
//! them and without moto.

use std::collections::{BTreeMap, BTreeSet};
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

// ---------------------------------------------------------------------------
// The architecture's invariants (ARCHITECTURE.md, "Invariants the tidy test
// checks"), as rust-analyzer's tidy tests check theirs.

/// The packages of the workspace: (name, directory relative to the root).
fn packages() -> Vec<(String, PathBuf)> {
    let root = repo();
    let mut out = vec![("strata".to_string(), PathBuf::new())];
    for dir in crate::support::dirs(&root.join("crates")) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, dir.strip_prefix(&root).unwrap().to_path_buf()));
    }
    out
}

/// The table of ARCHITECTURE.md under "Which crate may depend on which":
/// crate → the workspace crates it may depend on (each name in backticks).
fn dependency_table(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let section = doc.split_once("### Which crate may depend on which").map(|(_, s)| s).unwrap_or_default();
    let ticked = |cell: &str| cell.split('`').skip(1).step_by(2).map(str::to_string).collect::<Vec<String>>();
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = ticked(cells.get(1)?).into_iter().next()?;
            Some((name, ticked(cells.get(2)?).into_iter().collect()))
        })
        .collect()
}

/// The dependencies a manifest declares: (section, name) for every key of
/// every `[*dependencies]` table but the workspace's own list.
fn manifest_dependencies(toml: &str) -> Vec<(String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in toml.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']').to_string();
            continue;
        }
        let is_dependencies = section.ends_with("dependencies") && !section.starts_with("workspace");
        if let (true, Some((key, _))) = (is_dependencies, line.split_once('='))
            && !key.trim().is_empty()
            && !key.trim().starts_with('#')
        {
            out.push((section.clone(), key.trim().split('.').next().unwrap().trim().to_string()));
        }
    }
    out
}

/// What is wrong with the manifests against the table: a workspace crate a
/// package depends on but may not, a permitted dependency not declared (the
/// table says what is true), an AWS SDK crate outside strata-aws, a
/// terminal crate outside the binary.
fn manifest_problems(table: &BTreeMap<String, BTreeSet<String>>, manifests: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, toml) in manifests {
        let deps = manifest_dependencies(toml);
        let Some(allowed) = table.get(name) else {
            problems.push(format!("{name}: not in ARCHITECTURE.md's dependency table"));
            continue;
        };
        let mut normal = BTreeSet::new();
        for (section, dep) in &deps {
            if dep.starts_with("strata-") && !allowed.contains(dep) {
                problems.push(format!("{name} depends on {dep} ([{section}]), which ARCHITECTURE.md does not allow"));
            }
            if section == "dependencies" && dep.starts_with("strata-") {
                normal.insert(dep.clone());
            }
            if dep.starts_with("aws-") && name != "strata-aws" {
                problems.push(format!("{name} depends on the AWS SDK crate {dep}: only strata-aws knows the SDK"));
            }
            if ["miette", "anstream", "anstyle", "indicatif", "clap", "comfy-table"].contains(&dep.as_str()) && name != "strata" {
                problems.push(format!("{name} depends on {dep}: only the binary (src/) knows the terminal"));
            }
        }
        for missing in allowed.difference(&normal) {
            problems.push(format!("{name}: ARCHITECTURE.md lists {missing} but Cargo.toml does not depend on it"));
        }
    }
    for name in table.keys().filter(|n| !manifests.iter().any(|(m, _)| m == *n)) {
        problems.push(format!("ARCHITECTURE.md's dependency table names {name}, which is no package"));
    }
    problems
}

#[test]
fn crates_depend_only_on_what_architecture_md_allows() {
    let doc = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let table = dependency_table(&doc);
    assert!(table.len() >= 12, "ARCHITECTURE.md's dependency table not found or short: {table:?}");
    let manifests: Vec<(String, String)> =
        packages().into_iter().map(|(name, dir)| (name, std::fs::read_to_string(repo().join(dir).join("Cargo.toml")).unwrap())).collect();
    let problems = manifest_problems(&table, &manifests);
    assert!(problems.is_empty(), "dependencies against ARCHITECTURE.md:\n{}", problems.join("\n"));
}

/// Non-test code: what `#[cfg(test)]` modules, `#[test]` functions and test
/// files (`tests.rs`, `tests_*.rs`, a `tests/` directory) leave.
fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name == "tests.rs"
        || name.starts_with("tests_")
        || path.components().any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests_apply")
}

fn is_test_item(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().segments.last().is_some_and(|s| s.ident == "test")
            || (a.path().is_ident("cfg") && a.meta.require_list().is_ok_and(|l| l.tokens.to_string().contains("test")))
    })
}

/// Terminal output a library must not produce (the binary decides output).
const TERMINAL_MACROS: [&str; 5] = ["println", "eprintln", "print", "eprint", "dbg"];
const TERMINAL_CRATES: [&str; 3] = ["anstream", "indicatif", "miette"];

/// What non-test code of one file does that the architecture forbids:
/// `"aws_…"` string literals (AWS type names) and terminal I/O.
#[derive(Default)]
struct Forbidden {
    aws_literals: Vec<String>,
    terminal: Vec<String>,
}

impl<'ast> Visit<'ast> for Forbidden {
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_item(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_test_item(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }

    fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
        let v = lit.value();
        if v.starts_with("aws_") {
            self.aws_literals.push(v);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(last) = mac.path.segments.last()
            && TERMINAL_MACROS.contains(&last.ident.to_string().as_str())
        {
            self.terminal.push(format!("{}!", last.ident));
        }
        if let Ok(args) = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let names: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if names.first().is_some_and(|f| TERMINAL_CRATES.contains(&f.as_str()))
            || names.windows(2).any(|w| w[0] == "io" && (w[1] == "stdout" || w[1] == "stderr"))
        {
            self.terminal.push(names.join("::"));
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_use_tree(&mut self, u: &'ast syn::UseTree) {
        if let syn::UseTree::Path(p) = u
            && TERMINAL_CRATES.contains(&p.ident.to_string().as_str())
        {
            self.terminal.push(format!("use {}", p.ident));
        }
        syn::visit::visit_use_tree(self, u);
    }
}

fn forbidden_in(path: &Path, text: &str) -> Forbidden {
    let parsed = syn::parse_file(text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    let mut f = Forbidden::default();
    f.visit_file(&parsed);
    f
}

/// `"aws_…"` literals allowed outside strata-aws and strata-provider, each
/// because it is part of a format users write (file, literal, why).
const AWS_LITERALS_ALLOWED: [(&str, &str, &str); 3] = [
    // The in-memory provider the engine's tests use stands in for
    // strata-aws: its ids look like AWS's and it lists route table
    // associations with their table as strata-aws does.
    ("crates/strata-engine/src/fake.rs", "aws_", "fake ids drop the provider prefix, as AWS ids do"),
    ("crates/strata-engine/src/fake.rs", "aws_route_table_association", "listed with its parent, as strata-aws lists it"),
    ("crates/strata-engine/src/fake.rs", "aws_route_table", "the parent of a listed association"),
];

/// Every Rust source of the libraries and the binary (relative paths).
fn sources() -> Vec<(PathBuf, String)> {
    let root = repo();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f.strip_prefix(&root).unwrap().to_path_buf(), text)
        })
        .collect()
}

/// What non-test sources do against the architecture: AWS type names
/// outside strata-aws and strata-provider (unless allowed), terminal I/O
/// outside src/.
fn source_problems(sources: &[(PathBuf, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, text) in sources {
        let in_src = path.starts_with("src");
        let knows_aws = path.starts_with("crates/strata-aws") || path.starts_with("crates/strata-provider");
        if is_test_file(path) {
            continue;
        }
        let found = forbidden_in(path, text);
        let file = path.to_string_lossy().replace('\\', "/");
        if !knows_aws {
            for lit in found.aws_literals {
                if !AWS_LITERALS_ALLOWED.iter().any(|(f, l, _)| *f == file && *l == lit) {
                    problems.push(format!("{file}: names the AWS type \"{lit}\" (the schema should say what this code needs)"));
                }
            }
        }
        // Examples and benches are programs of their own (a bench prints its figures).
        let is_program = path.components().any(|c| c.as_os_str() == "examples" || c.as_os_str() == "benches");
        if !in_src && !is_program {
            for t in found.terminal {
                problems.push(format!("{file}: terminal I/O ({t}) outside src/"));
            }
        }
    }
    problems
}

#[test]
fn no_aws_type_names_outside_the_provider_crates_and_no_terminal_io_outside_src() {
    let problems = source_problems(&sources());
    assert!(problems.is_empty(), "{} violations of ARCHITECTURE.md's invariants:\n{}", problems.len(), problems.join("\n"));
}

/// Every module says what it is for: each .rs file under crates/ and src/
/// starts with a `//!` comment.
#[test]
fn every_module_starts_with_a_doc_comment() {
    let missing: Vec<String> =
        sources().iter().filter(|(_, text)| !text.trim_start().starts_with("//!")).map(|(p, _)| p.to_string_lossy().into_owned()).collect();
    assert!(missing.is_empty(), "modules without a `//!` doc comment:\n{}", missing.join("\n"));
}

/// The checks can fail: a forbidden dependency, an SDK crate, a literal and
/// terminal output in non-test code are found; the same in test code is not.
#[test]
fn the_architecture_checks_find_violations() {
    let table = dependency_table(
        "### Which crate may depend on which\n\n| crate | may depend on |\n|---|---|\n| `strata-core` | — |\n| `strata-cost` | `strata-core` |\n",
    );
    let manifests = [
        ("strata-core".to_string(), "[dependencies]\nstrata-cost.workspace = true\n".to_string()),
        ("strata-cost".to_string(), "[dependencies]\naws-sdk-ec2 = \"1\"\nmiette = \"7\"\n".to_string()),
    ];
    let problems = manifest_problems(&table, &manifests);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    let code = r#"
        //! A module.
        fn price(ty: &str) -> bool { println!("x"); let _ = std::io::stderr(); ty == "aws_instance" }
        #[cfg(test)]
        mod tests { fn t() { println!("{}", "aws_vpc"); } }
        #[test]
        fn t() { assert_eq!("aws_subnet", "x"); }
    "#;
    let problems = source_problems(&[(PathBuf::from("crates/strata-cost/src/x.rs"), code.to_string())]);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems.iter().any(|p| p.contains("\"aws_instance\"")), "{problems:#?}");
    let in_src = source_problems(&[(PathBuf::from("src/x.rs"), code.to_string())]);
    assert_eq!(in_src.len(), 1, "the binary may print but names no AWS type: {in_src:#?}");
}
