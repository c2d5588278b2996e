//! The bundled examples validate and draw, as the README promises.

use crate::support::{dirs, repo, strata};

#[test]
fn every_example_validates() {
    for dir in dirs(&repo().join("examples")) {
        if !dir.join("main.tf").exists() {
            continue;
        }
        let rel = dir.strip_prefix(repo()).unwrap().display().to_string();
        let out = strata(&["validate", &rel]);
        assert_eq!(out.code, 0, "{rel}:\n{}", out.snapshot());
    }
}

#[test]
fn three_tier_validates_with_no_flags() {
    let out = strata(&["validate", "examples/three-tier"]);
    insta::assert_snapshot!(out.snapshot());
}

#[test]
fn three_tier_graph_puts_every_layer_in_order() {
    let out = strata(&["graph", "examples/three-tier", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let waves = doc["waves"].as_array().unwrap();
    let layers: Vec<u64> = waves.iter().map(|w| w["layer"].as_u64().unwrap()).collect();
    assert!(layers.windows(2).all(|w| w[0] <= w[1]), "waves go layer 1 to 5: {layers:?}");
    for want in 1..=5 {
        assert!(layers.contains(&want), "layer {want} present in three-tier: {layers:?}");
    }
    // The read replica waits for its primary.
    let wave_of = |addr: &str| {
        doc["nodes"].as_array().unwrap().iter().find(|n| n["address"] == addr).unwrap_or_else(|| panic!("{addr} in graph"))["wave"]
            .as_u64()
            .unwrap()
    };
    let primary = wave_of("module.db.aws_db_instance.primary");
    let replica = wave_of("module.db.aws_db_instance.replica[0]");
    assert!(primary < replica);
    insta::assert_snapshot!(out.stdout);
}
