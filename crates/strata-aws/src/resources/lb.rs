//! Resource types of this family (filled in by the provider work).

use super::ResourceType;

pub fn types() -> Vec<Box<dyn ResourceType>> {
    Vec::new()
}
