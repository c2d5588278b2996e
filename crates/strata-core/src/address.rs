//! Resource addresses: `module.net.aws_subnet.private["a"]`, `aws_instance.app[0]`,
//! `data.aws_ami.ubuntu`. One type that parses and prints losslessly; used in
//! state, plans, CLI arguments and diagnostics.

use std::fmt;
use std::str::FromStr;

/// The key of one instance of a resource or module with `count` / `for_each`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One step of a module path: `module.net` or `module.net["a"]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

/// Path of a module instance from the root; empty for the root module.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModulePath(pub Vec<ModuleStep>);

impl ModulePath {
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: &str, key: Option<InstanceKey>) -> ModulePath {
        let mut p = self.0.clone();
        p.push(ModuleStep { name: name.to_string(), key });
        ModulePath(p)
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{}", step.name)?;
            if let Some(k) = &step.key {
                write!(f, "{k}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

/// The address of a resource instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    pub module: ModulePath,
    pub mode: Mode,
    pub ty: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

impl Address {
    pub fn managed(ty: &str, name: &str) -> Address {
        Address { module: ModulePath::root(), mode: Mode::Managed, ty: ty.into(), name: name.into(), key: None }
    }

    pub fn with_key(mut self, key: Option<InstanceKey>) -> Address {
        self.key = key;
        self
    }

    /// The address of the resource (all instances): the key dropped.
    pub fn resource(&self) -> Address {
        Address { key: None, ..self.clone() }
    }

    /// `aws_instance.app` or `data.aws_ami.x`, without module path and key.
    pub fn local_name(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        f.write_str(&self.local_name())?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressParseError(pub String);

impl fmt::Display for AddressParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddressParseError {}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Address, AddressParseError> {
        let mut p = Parser { s, pos: 0 };
        let mut module = ModulePath::root();
        loop {
            let save = p.pos;
            let word = p.ident()?;
            if word == "module" {
                p.expect('.')?;
                let name = p.ident()?;
                let key = p.key()?;
                module.0.push(ModuleStep { name, key });
                p.expect('.')?;
                continue;
            }
            p.pos = save;
            break;
        }
        let mut mode = Mode::Managed;
        let mut ty = p.ident()?;
        if ty == "data" {
            mode = Mode::Data;
            p.expect('.')?;
            ty = p.ident()?;
        }
        p.expect('.')?;
        let name = p.ident()?;
        let key = p.key()?;
        if p.pos != s.len() {
            return Err(AddressParseError(format!("unexpected {:?} at offset {} in address {s:?}", &s[p.pos..], p.pos)));
        }
        Ok(Address { module, mode, ty, name, key })
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn ident(&mut self) -> Result<String, AddressParseError> {
        let rest = self.rest();
        let len =
            rest.char_indices().find(|&(i, c)| !(c.is_alphanumeric() || c == '_' || (i > 0 && c == '-'))).map_or(rest.len(), |(i, _)| i);
        if len == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(AddressParseError(format!("expected a name at offset {} in address {:?}", self.pos, self.s)));
        }
        let word = rest[..len].to_string();
        self.pos += len;
        Ok(word)
    }

    fn expect(&mut self, c: char) -> Result<(), AddressParseError> {
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(AddressParseError(format!("expected '{c}' at offset {} in address {:?}", self.pos, self.s)))
        }
    }

    fn key(&mut self) -> Result<Option<InstanceKey>, AddressParseError> {
        if !self.rest().starts_with('[') {
            return Ok(None);
        }
        self.pos += 1;
        let key = if self.rest().starts_with('"') {
            self.pos += 1;
            let mut out = String::new();
            let mut chars = self.rest().char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, c)) => out.push(c),
                        None => break,
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end = end.ok_or_else(|| AddressParseError(format!("unterminated string key in address {:?}", self.s)))?;
            self.pos += end + 1;
            InstanceKey::Str(out)
        } else {
            let rest = self.rest();
            let len = rest.find(']').ok_or_else(|| AddressParseError(format!("missing ']' in address {:?}", self.s)))?;
            let n: i64 = rest[..len]
                .trim()
                .parse()
                .map_err(|_| AddressParseError(format!("instance key {:?} is neither a number nor a quoted string", &rest[..len])))?;
            self.pos += len;
            InstanceKey::Int(n)
        };
        self.expect(']')?;
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn roundtrip(s: &str) {
        let a: Address = s.parse().unwrap();
        assert_eq!(a.to_string(), s);
    }

    #[test]
    fn addresses_roundtrip() {
        roundtrip("aws_instance.app");
        roundtrip("aws_instance.app[0]");
        roundtrip("data.aws_ami.ubuntu");
        roundtrip("module.net.aws_subnet.private[\"a\"]");
        roundtrip("module.a[1].module.b[\"x y\"].aws_vpc.main");
        roundtrip("aws_instance.q[\"with \\\"quote\\\"\"]");
    }

    #[test]
    fn bad_addresses_are_errors() {
        for bad in ["", "aws_instance", "aws_instance.", "aws_instance.app[", "aws_instance.app[x]", "module.x", "a.b c"] {
            assert!(bad.parse::<Address>().is_err(), "{bad:?} parsed");
        }
    }
}
