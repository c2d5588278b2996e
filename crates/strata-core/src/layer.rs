//! The five-layer dependency model.

use std::fmt;
use std::str::FromStr;

/// Start dependencies first (1 → 5); stop dependents first (5 → 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Infrastructure = 1,
    Data = 2,
    Application = 3,
    Gateway = 4,
    Frontend = 5,
}

impl Layer {
    pub const ALL: [Layer; 5] = [Layer::Infrastructure, Layer::Data, Layer::Application, Layer::Gateway, Layer::Frontend];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: u8) -> Option<Layer> {
        Layer::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The short name accepted by `layer = "..."` and printed in output.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Infrastructure => "infrastructure",
            Layer::Data => "data",
            Layer::Application => "application",
            Layer::Gateway => "gateway",
            Layer::Frontend => "frontend",
        }
    }

    /// Names accepted by `layer = "..."`, for help lines.
    pub const NAMES: [&'static str; 5] = ["infrastructure", "data", "application", "gateway", "frontend"];
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.number(), self.name())
    }
}

impl FromStr for Layer {
    type Err = ();

    /// Accepts `1`..`5`, the names, and the aliases `infra`, `data-services`,
    /// `app`, `gw`, `front`.
    fn from_str(s: &str) -> Result<Layer, ()> {
        let s = s.trim().to_ascii_lowercase();
        if let Ok(n) = s.parse::<u8>() {
            return Layer::from_number(n).ok_or(());
        }
        Ok(match s.as_str() {
            "infrastructure" | "infra" => Layer::Infrastructure,
            "data" | "data-services" | "data_services" => Layer::Data,
            "application" | "app" => Layer::Application,
            "gateway" | "gw" => Layer::Gateway,
            "frontend" | "front" => Layer::Frontend,
            _ => return Err(()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_layers() {
        assert_eq!("data".parse(), Ok(Layer::Data));
        assert_eq!("3".parse(), Ok(Layer::Application));
        assert_eq!("0".parse::<Layer>(), Err(()));
        assert_eq!("6".parse::<Layer>(), Err(()));
        assert!(Layer::Data < Layer::Gateway);
    }
}
