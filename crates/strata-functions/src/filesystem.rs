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
    let not_found = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => arg_err(0, format!("no file exists at {name:?}")),
        _ => fail(e.to_string()),
    };
    // Look before opening: opening a named pipe for reading waits for a writer.
    let meta = std::fs::metadata(&path).map_err(not_found)?;
    check_regular(&meta).map_err(fail)?;
    // Without blocking in case the path was replaced by a pipe since; the
    // opened file is checked again, and for a regular file the flag changes nothing.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(&path).map_err(not_found)?;
    check_regular(&file.metadata().map_err(|e| fail(e.to_string()))?).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(fail(too_large()));
    }
    Ok((name, bytes))
}

fn too_large() -> String {
    format!("the file is larger than {} MiB", MAX_FILE >> 20)
}

/// Only regular files are read: a named pipe or a device could block or
/// never end, and a directory has no contents. Over-large files are refused
/// before reading.
fn check_regular(meta: &std::fs::Metadata) -> Result<(), String> {
    let kind = meta.file_type();
    if kind.is_file() {
        return if meta.len() > MAX_FILE { Err(too_large()) } else { Ok(()) };
    }
    let what = if kind.is_dir() { "a directory" } else { special_kind(&kind) };
    Err(format!("it is {what}, not a regular file"))
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
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
        Ok(m) if !m.is_file() => Err(arg_err(0, format!("{name:?} is {}, not a regular file", special_kind(&m.file_type())))),
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

    /// Guards against `file()` on a named pipe blocking forever (opening a
    /// FIFO for reading waits for a writer), and against reading devices
    /// that never end: every function that reads a file refuses anything
    /// but a regular file, and refuses an over-large one before reading.
    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        with_dir(|dir, ctx| {
            let fifo = dir.join("pipe");
            let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
            assert!(status.success());
            let vars = Value::map([("name", s("x"))]);
            for (f, args) in [
                ("file", vec![s("pipe")]),
                ("filebase64", vec![s("pipe")]),
                ("templatefile", vec![s("pipe"), vars.clone()]),
                ("file", vec![s("/dev/zero")]),
                ("filebase64", vec![s("/dev/urandom")]),
            ] {
                let err = call(f, args.clone(), ctx).unwrap_err();
                let FnError::Arg { index: 0, message } = &err else { panic!("{f}{args:?}: {err:?}") };
                assert!(message.ends_with("not a regular file"), "{f}{args:?}: {message}");
            }
            let err = call("file", vec![s("pipe")], ctx).unwrap_err();
            assert_eq!(
                err,
                FnError::Arg { index: 0, message: "cannot read \"pipe\": it is a named pipe (FIFO), not a regular file".into() }
            );
            let err = call("fileexists", vec![s("pipe")], ctx).unwrap_err();
            assert_eq!(err, FnError::Arg { index: 0, message: "\"pipe\" is a named pipe (FIFO), not a regular file".into() });
            let err = call("file", vec![s(".")], ctx).unwrap_err();
            assert_eq!(err, FnError::Arg { index: 0, message: "cannot read \".\": it is a directory, not a regular file".into() });

            // A sparse file past the limit is refused without reading it.
            let big = std::fs::File::create(dir.join("big")).unwrap();
            big.set_len(super::MAX_FILE + 1).unwrap();
            for f in ["file", "filebase64"] {
                let err = call(f, vec![s("big")], ctx).unwrap_err();
                assert_eq!(err, FnError::Arg { index: 0, message: "cannot read \"big\": the file is larger than 64 MiB".into() }, "{f}");
            }
            // A link to a regular file is read as the file.
            std::fs::write(dir.join("real.txt"), "through").unwrap();
            std::os::unix::fs::symlink(dir.join("real.txt"), dir.join("link.txt")).unwrap();
            assert_eq!(call("file", vec![s("link.txt")], ctx).unwrap(), s("through"));
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
