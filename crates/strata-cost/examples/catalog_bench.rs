//! Time the embedded price catalog: its first load (decompress and parse)
//! and lookups. `cargo run --release -p strata-cost --example catalog_bench`
//! (figures in BENCHMARKS.md).

use std::hint::black_box;
use std::time::Instant;

use strata_cost::{Catalog, PriceKey};

fn main() {
    let start = Instant::now();
    let catalog = Catalog::embedded();
    let load = start.elapsed();
    println!("load: {} prices in {:.1} ms", catalog.len(), load.as_secs_f64() * 1e3);

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
