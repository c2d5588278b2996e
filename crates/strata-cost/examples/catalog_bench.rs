//! Time the embedded price catalog: its first load (decompress and parse)
//! and lookups. `cargo run --release -p strata-cost --example catalog_bench`
//! (figures in BENCHMARKS.md).

use std::hint::black_box;
use std::time::Instant;

use strata_cost::{Catalog, PriceKey};

/// The resident set size in KiB, where /proc tells it (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

fn main() {
    let rss_before = rss_kib();
    let start = Instant::now();
    let catalog = Catalog::embedded();
    let load = start.elapsed();
    println!("load: {} prices in {:.1} ms", catalog.len(), load.as_secs_f64() * 1e3);
    if let (Some(before), Some(after)) = (rss_before, rss_kib()) {
        println!("resident memory: +{:.1} MiB", after.saturating_sub(before) as f64 / 1024.0);
    }

    let keys: Vec<PriceKey> = catalog.rows().step_by(97).map(|r| r.key.clone()).collect();
    let rounds = 2_000_000 / keys.len().max(1);
    let start = Instant::now();
    let mut found = 0usize;
    for _ in 0..rounds {
        for k in &keys {
            found += usize::from(black_box(catalog.get(black_box(k))).is_some());
        }
    }
    let per = start.elapsed().as_secs_f64() * 1e9 / found.max(1) as f64;
    println!("lookup: {found} hits, {per:.0} ns each");

    // A lookup as pricing makes it: the key built from its parts, then the probe.
    let start = Instant::now();
    let n = 200_000;
    for i in 0..n {
        let key = PriceKey::new("AmazonRDS", "ap-southeast-2", "db.t4g.small").engine("PostgreSQL").deployment(if i % 2 == 0 {
            "Multi-AZ"
        } else {
            "Single-AZ"
        });
        black_box(catalog.get(&key));
    }
    println!("lookup with key construction: {:.0} ns each", start.elapsed().as_secs_f64() * 1e9 / n as f64);
}
