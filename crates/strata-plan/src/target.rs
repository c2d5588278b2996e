//! `--target` and `--replace` addresses and what they match.

use std::fmt;
use std::str::FromStr;

use strata_core::address::AddressParseError;
use strata_core::{Address, ModulePath, ModuleStep};

/// A `--target`: a resource or instance address, or a module (instance)
/// address that names everything inside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `module.net` or `module.net["a"]`.
    Module(ModulePath),
    /// `aws_instance.web` (every instance) or `aws_instance.web[0]`.
    Resource(Address),
}

impl Target {
    /// Whether the instance at `addr` is named by this target.
    pub fn matches(&self, addr: &Address) -> bool {
        match self {
            Target::Module(path) => {
                addr.module.0.len() >= path.0.len() && path.0.iter().zip(&addr.module.0).all(|(p, a)| step_matches(p, a))
            }
            Target::Resource(pattern) => address_matches(pattern, addr),
        }
    }
}

/// Whether `pattern` names the instance `addr`: equal, or `pattern` has no
/// key (every instance of the resource). Module steps without a key match
/// every instance of the module.
pub fn address_matches(pattern: &Address, addr: &Address) -> bool {
    pattern.mode == addr.mode
        && pattern.ty == addr.ty
        && pattern.name == addr.name
        && pattern.key.as_ref().is_none_or(|k| addr.key.as_ref() == Some(k))
        && pattern.module.0.len() == addr.module.0.len()
        && pattern.module.0.iter().zip(&addr.module.0).all(|(p, a)| step_matches(p, a))
}

fn step_matches(pattern: &ModuleStep, step: &ModuleStep) -> bool {
    pattern.name == step.name && pattern.key.as_ref().is_none_or(|k| step.key.as_ref() == Some(k))
}

impl FromStr for Target {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Target, AddressParseError> {
        match s.parse::<Address>() {
            Ok(a) => Ok(Target::Resource(a)),
            Err(err) => {
                // A module address is a resource address without the resource
                // part: parse it with a placeholder resource appended, which
                // only succeeds when `s` is a complete module path.
                if !s.starts_with("module.") {
                    return Err(err);
                }
                format!("{s}.placeholder.placeholder").parse::<Address>().map(|a| Target::Module(a.module)).map_err(|_| err)
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(p) => write!(f, "{p}"),
            Target::Resource(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        s.parse().unwrap()
    }

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn targets_parse_and_print() {
        for s in ["aws_instance.web", "aws_instance.web[0]", "module.net", "module.net[\"a\"].module.x", "module.net.aws_vpc.main"] {
            assert_eq!(t(s).to_string(), s);
        }
        assert!(matches!(t("module.net"), Target::Module(_)));
        for bad in ["module", "module.", "module.net.aws_vpc", "aws_instance", "module.net[x]"] {
            assert!(bad.parse::<Target>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn keyless_targets_match_every_instance() {
        assert!(t("aws_instance.web").matches(&a("aws_instance.web[3]")));
        assert!(t("aws_instance.web").matches(&a("aws_instance.web")));
        assert!(t("aws_instance.web[0]").matches(&a("aws_instance.web[0]")));
        assert!(!t("aws_instance.web[0]").matches(&a("aws_instance.web[1]")));
        assert!(!t("aws_instance.web").matches(&a("aws_instance.webx")));
        assert!(!t("aws_instance.web").matches(&a("module.m.aws_instance.web")));
        assert!(t("module.m.aws_instance.web").matches(&a("module.m[\"a\"].aws_instance.web[2]")));
    }

    #[test]
    fn module_targets_match_everything_inside() {
        assert!(t("module.net").matches(&a("module.net.aws_vpc.main")));
        assert!(t("module.net").matches(&a("module.net[1].module.sub.aws_subnet.s[\"a\"]")));
        assert!(!t("module.net[0]").matches(&a("module.net[1].aws_vpc.main")));
        assert!(!t("module.net").matches(&a("module.network.aws_vpc.main")));
        assert!(!t("module.net").matches(&a("aws_vpc.main")));
    }
}
