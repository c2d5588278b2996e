//! Functions that read files relative to the module directory, and path
//! manipulation as Go's `path/filepath` does it (Unix separators).

use std::io::Read as _;
use std::path::PathBuf;

use base64::Engine as _;
use strata_core::Value;

use crate::{FnCtx, FnError, FnResult, arg_err, map_arg, string_arg};

/// Files larger than this are refused rather than read into memory.
const MAX_FILE: u64 = 64 << 20;

fn resolve(args: &[Value], ctx: &FnCtx) -> Result<(String, PathBuf), FnError> {
    let name = string_arg(args, 0)?;
    let path = ctx.module_dir.join(&name);
    Ok((name, path))
}

fn read(args: &[Value], ctx: &FnCtx) -> Result<(String, Vec<u8>), FnError> {
    let (name, path) = resolve(args, ctx)?;
    let fail = |why: String| arg_err(0, format!("cannot read {name:?}: {why}"));
    if path.is_dir() {
        return Err(fail("it is a directory, not a file".into()));
    }
    let file = std::fs::File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => arg_err(0, format!("no file exists at {name:?}")),
        _ => fail(e.to_string()),
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(fail(format!("the file is larger than {} MiB", MAX_FILE >> 20)));
    }
    Ok((name, bytes))
}

fn read_text(args: &[Value], ctx: &FnCtx) -> Result<(String, String), FnError> {
    let (name, bytes) = read(args, ctx)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        arg_err(0, format!("contents of {name:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents"))
    })?;
    Ok((name, text))
}

pub(crate) fn file(args: &[Value], ctx: &FnCtx) -> FnResult {
    Ok(Value::String(read_text(args, ctx)?.1.into()))
}

pub(crate) fn filebase64(args: &[Value], ctx: &FnCtx) -> FnResult {
    Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(read(args, ctx)?.1).into()))
}

pub(crate) fn fileexists(args: &[Value], ctx: &FnCtx) -> FnResult {
    let (name, path) = resolve(args, ctx)?;
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Err(arg_err(0, format!("{name:?} is a directory, not a file"))),
        Ok(_) => Ok(Value::Bool(true)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => Err(arg_err(0, format!("cannot read {name:?}: {e}"))),
    }
}

pub(crate) fn templatefile(args: &[Value], ctx: &FnCtx) -> FnResult {
    map_arg(args, 1).map_err(|_| arg_err(1, format!("invalid vars value: must be a map or object, got {}", args[1].type_name())))?;
    let (name, text) = read_text(args, ctx)?;
    (ctx.render_template)(&text, &args[1]).map_err(|e| FnError::Message(format!("{name}: {e}")))
}

pub(crate) fn basename(args: &[Value]) -> FnResult {
    let path = string_arg(args, 0)?;
    let trimmed = path.trim_end_matches('/');
    Ok(Value::string(match trimmed.rsplit_once('/') {
        _ if path.is_empty() => ".",
        _ if trimmed.is_empty() => "/",
        Some((_, base)) => base,
        None => trimmed,
    }))
}

pub(crate) fn dirname(args: &[Value]) -> FnResult {
    let path = string_arg(args, 0)?;
    let dir = path.rfind('/').map_or("", |i| &path[..=i]);
    Ok(Value::String(clean(dir).into()))
}

/// Lexical path cleaning as Go's `filepath.Clean`.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use strata_core::Value;

    use crate::tests::{check, check_err, s};
    use crate::{FnCtx, FnError, call};

    fn with_dir(f: impl FnOnce(&Path, &FnCtx)) {
        let dir = tempfile::tempdir().unwrap();
        let render = |text: &str, vars: &Value| -> Result<Value, String> {
            // A stand-in renderer: replaces `${name}` for each string variable.
            let mut out = text.to_string();
            for (k, v) in vars.as_map().ok_or("vars must be a map")? {
                out = out.replace(&format!("${{{k}}}"), v.as_str().ok_or("only strings")?);
            }
            if out.contains("${") { Err("unknown variable".into()) } else { Ok(Value::String(out.into())) }
        };
        let ctx = FnCtx { module_dir: dir.path(), render_template: &render };
        f(dir.path(), &ctx);
    }

    #[test]
    fn file_reads_relative_to_the_module() {
        with_dir(|dir, ctx| {
            std::fs::write(dir.join("hello.txt"), "Hello World").unwrap();
            std::fs::write(dir.join("bin"), [0xff, 0xfe]).unwrap();
            assert_eq!(call("file", vec![s("hello.txt")], ctx).unwrap(), s("Hello World"));
            let abs = dir.join("hello.txt").display().to_string();
            assert_eq!(call("file", vec![s(&abs)], ctx).unwrap(), s("Hello World"));
            assert_eq!(call("filebase64", vec![s("bin")], ctx).unwrap(), s("//4="));
            let err = call("file", vec![s("bin")], ctx).unwrap_err();
            assert!(matches!(&err, FnError::Arg { message, .. } if message.contains("not valid UTF-8")), "{err:?}");
            let err = call("file", vec![s("missing.txt")], ctx).unwrap_err();
            assert_eq!(err, FnError::Arg { index: 0, message: "no file exists at \"missing.txt\"".into() });
            assert!(call("file", vec![s(".")], ctx).is_err());
            assert_eq!(call("fileexists", vec![s("hello.txt")], ctx).unwrap(), Value::Bool(true));
            assert_eq!(call("fileexists", vec![s("nope")], ctx).unwrap(), Value::Bool(false));
            assert!(call("fileexists", vec![s(".")], ctx).is_err());
        });
    }

    #[test]
    fn templatefile_renders_through_the_context() {
        with_dir(|dir, ctx| {
            std::fs::write(dir.join("t.tpl"), "hello ${name}").unwrap();
            std::fs::write(dir.join("bad.tpl"), "hello ${nobody}").unwrap();
            let vars = Value::map([("name", s("world"))]);
            assert_eq!(call("templatefile", vec![s("t.tpl"), vars.clone()], ctx).unwrap(), s("hello world"));
            assert_eq!(
                call("templatefile", vec![s("bad.tpl"), vars.clone()], ctx).unwrap_err(),
                FnError::Message("bad.tpl: unknown variable".into())
            );
            let err = call("templatefile", vec![s("t.tpl"), s("x")], ctx).unwrap_err();
            assert!(matches!(err, FnError::Arg { index: 1, .. }), "{err:?}");
            let secret = Value::map([("name", Value::Sensitive(Box::new(s("pw"))))]);
            assert_eq!(call("templatefile", vec![s("t.tpl"), secret], ctx).unwrap(), Value::Sensitive(Box::new(s("hello pw"))));
        });
    }

    #[test]
    fn basename_and_dirname_follow_go() {
        check("basename", vec![s("foo/bar/baz.txt")], s("baz.txt"));
        check("basename", vec![s("foo/bar/")], s("bar"));
        check("basename", vec![s("/")], s("/"));
        check("basename", vec![s("")], s("."));
        check("dirname", vec![s("foo/bar/baz.txt")], s("foo/bar"));
        check("dirname", vec![s("baz.txt")], s("."));
        check("dirname", vec![s("/baz.txt")], s("/"));
        check("dirname", vec![s("a//b/../c/d")], s("a/c"));
        check_err("dirname", vec![Value::Null], "must not be null");
    }
}
