//! Unit tests of pricing, the report, usage files and the budget.

use std::path::PathBuf;

use strata_core::{FileId, Value};

use crate::*;
use strata_provider::Pricing;

fn v(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(x: &str) -> Value {
    Value::string(x)
}

fn n(x: f64) -> Value {
    Value::Number(x)
}

fn secret(x: Value) -> Value {
    Value::Sensitive(Box::new(x))
}

/// The type's pricing as the AWS schema declares it.
fn pricing(ty: &str) -> Option<&'static Pricing> {
    strata_provider::aws::schema().resource(ty).and_then(|t| t.pricing.as_ref())
}

fn price_in(region: &str, ty: &str, value: &Value) -> ResourceCost {
    price(pricing(ty), value, &PriceContext { catalog: Catalog::embedded(), region: Some(region), usage: None })
}

fn price_with(catalog: &Catalog, region: &str, usage: Option<&UsageFigures>, ty: &str, value: &Value) -> ResourceCost {
    price(pricing(ty), value, &PriceContext { catalog, region: Some(region), usage })
}

fn monthly(cost: &ResourceCost) -> f64 {
    assert_eq!(cost.status, CostStatus::Priced, "{cost:?}");
    cost.monthly_usd().unwrap()
}

fn component<'a>(cost: &'a ResourceCost, name: &str) -> &'a Component {
    cost.components.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no component {name} in {cost:?}"))
}

fn reason(cost: &ResourceCost) -> &str {
    cost.not_priced_reason().unwrap_or_else(|| panic!("priced: {cost:?}"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/prices").join(name)
}

fn figures(pairs: &[(&str, f64)]) -> UsageFigures {
    UsageFigures(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect())
}

fn offer_date(path: &std::path::Path) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    json.get("publicationDate")?.as_str().map(|d| d[..10].to_string())
}

// Catalog.

#[test]
fn embedded_catalog_loads_every_row() {
    // Count the price lines of the embedded table independently of the parser.
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&include_bytes!("../data/prices.tsv.gz")[..]), &mut text).unwrap();
    let data_lines = text.lines().filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('@')).count();
    assert_eq!(data_lines, 49220);
    let catalog = Catalog::embedded();
    assert_eq!(catalog.len(), data_lines);
    for r in catalog.rows() {
        let src = &r.source;
        assert!(r.usd_per_unit > 0.0, "{r:?}");
        assert!(src.id.as_deref().is_some_and(|id| id.starts_with('s')), "{r:?}");
        assert!(src.url.as_deref().is_some_and(|u| u.starts_with("https://github.com/")), "{r:?}");
        assert!(src.date.as_deref().is_some_and(|d| d.len() == 10 && d.starts_with("20")), "{r:?}");
        assert!(src.text.starts_with("github:"), "{r:?}");
    }
    let regions = catalog.regions();
    assert_eq!(regions.len(), 35, "{regions:?}"); // 34 AWS Regions and `global` (Route 53)
    assert!(["ap-southeast-2", "eu-west-1", "me-central-1", "mx-central-1", "global"].iter().all(|r| regions.contains(r)));
}

#[test]
fn catalog_lookups_are_region_aware() {
    let c = Catalog::embedded();
    let ec2 = |region: &str, ty: &str| c.get(&PriceKey::new("AmazonEC2", region, ty)).map(|r| r.usd_per_unit);
    assert_eq!(ec2("us-east-1", "t3.micro"), Some(0.0104));
    assert_eq!(ec2("eu-west-1", "t3.micro"), Some(0.0114));
    assert_eq!(ec2("us-west-2", "t3.micro"), Some(0.0104));
    assert_eq!(ec2("ap-southeast-2", "t3.micro"), Some(0.0132));
    assert_eq!(ec2("eu-west-3", "t3.micro"), Some(0.0118));
    assert_eq!(ec2("sa-east-1", "m5.large"), Some(0.153));
    assert_eq!(ec2("us-east-1", "m7i.metal-24xl"), Some(4.8384)); // shared tenancy, not karpenter's dedicated price
    assert_eq!(ec2("ap-southeast-6", "t3.micro"), None); // New Zealand: no EC2 prices in any source
    assert_eq!(ec2("us-gov-west-1", "t3.micro"), None);
    let rds = |class: &str, engine: &str, dep: &str| {
        c.get(&PriceKey::new("AmazonRDS", "us-east-1", class).engine(engine).deployment(dep)).map(|r| r.usd_per_unit)
    };
    assert_eq!(rds("db.t4g.small", "MySQL", "Single-AZ"), Some(0.032));
    assert_eq!(rds("db.t4g.small", "MySQL", "Multi-AZ"), Some(0.065));
    assert_eq!(rds("db.t4g.small", "PostgreSQL", "Multi-AZ"), Some(0.065));
    assert_eq!(rds("db.m6gd.large", "PostgreSQL", "Multi-AZ (readable standbys)"), Some(0.522));
    assert_eq!(rds("db.t4g.small", "MariaDB", "Multi-AZ"), Some(0.065));
    let other = |service: &str, region: &str, resource: &str| c.get(&PriceKey::new(service, region, resource)).map(|r| r.usd_per_unit);
    assert_eq!(other("AmazonVPC", "ap-southeast-2", "public-ipv4-in-use"), Some(0.005));
    assert_eq!(other("AmazonRoute53", "global", "hosted-zone"), Some(0.5));
    assert_eq!(other("AmazonEC2", "eu-west-1", "ebs-gp3"), Some(0.088));
    assert_eq!(other("AWSELB", "ap-southeast-2", "application-load-balancer"), Some(0.0252));
    let redis = c.get(&PriceKey::new("AmazonElastiCache", "eu-west-1", "cache.t3.micro").engine("Redis")).unwrap();
    assert_eq!((redis.usd_per_unit, redis.source.id.as_deref()), (0.018, Some("s4016")));
    // Free text in `attribute_key` is a description, not a filter.
    let gp3_iops = c.get(&PriceKey::new("AmazonRDS", "us-east-1", "storage-gp3-iops").deployment("Single-AZ")).unwrap();
    assert!(gp3_iops.description.as_deref().unwrap().contains("gp3 baseline"), "{gp3_iops:?}");
    assert_eq!(gp3_iops.attributes.get("deploymentOption").map(String::as_str), Some("Single-AZ"));
}

#[test]
fn price_tables_report_bad_rows_with_their_line() {
    let header = "service,region,resource,attribute_key,unit,usd_per_unit,source\n";
    let err = Catalog::from_csv(&format!("{header}AmazonEC2,us-east-1,t3.micro,,Hrs,cheap,x\n"), "t.csv").unwrap_err();
    assert_eq!(err.code, "strata::cost::bad_price_table");
    assert!(err.message.contains("t.csv, line 2") && err.message.contains("\"cheap\""), "{}", err.message);
    let err = Catalog::from_csv("a,b\n", "t.csv").unwrap_err();
    assert!(err.message.contains("unexpected header"), "{}", err.message);
    let twice = format!("{header}AmazonEC2,us-east-1,t3.micro,,Hrs,1,x\nAmazonEC2,us-east-1,t3.micro,,Hrs,2,\"y, z\"\n");
    assert!(Catalog::from_csv(&twice, "t.csv").unwrap_err().message.contains("line 3: a second price"));
    let quoted = format!("{header}AmazonEC2,us-east-1,t3.micro,,Hrs,1,\"a \"\"quoted\"\", source\"\n");
    let c = Catalog::from_csv(&quoted, "t.csv").unwrap();
    assert_eq!(c.rows().next().unwrap().source.text, "a \"quoted\", source");
}

// Pricing.

#[test]
fn instance_compute_and_assumed_root_volume() {
    let cost = price_in("us-east-1", "aws_instance", &v(&[("instance_type", s("t3.micro")), ("ami", s("ami-1"))]));
    assert_eq!(component(&cost, "compute").monthly_usd, Some(7.592)); // 0.0104 × 730
    let root = component(&cost, "storage gp3");
    assert_eq!((root.quantity, root.monthly_usd, root.detail.as_deref()), (Some(8.0), Some(0.64), Some("root volume")));
    assert_eq!(monthly(&cost), 8.232);
    assert!(cost.notes.iter().any(|n| n.contains("root volume not configured") && n.contains("assumed")), "{:?}", cost.notes);
}

#[test]
fn instance_volumes_by_type_size_and_iops() {
    let value = v(&[
        ("instance_type", s("t3.large")),
        ("root_block_device", Value::List(vec![v(&[("volume_type", s("gp2")), ("volume_size", n(20.0))])].into())),
        (
            "ebs_block_device",
            Value::List(
                vec![v(&[("device_name", s("/dev/sdf")), ("volume_type", s("io1")), ("volume_size", n(100.0)), ("iops", n(1000.0))])]
                    .into(),
            ),
        ),
    ]);
    let cost = price_in("us-east-1", "aws_instance", &value);
    assert_eq!(component(&cost, "compute").monthly_usd, Some(60.736)); // 0.0832 × 730
    assert_eq!(component(&cost, "storage gp2").monthly_usd, Some(2.0)); // 20 × 0.10
    assert_eq!(component(&cost, "storage io1").monthly_usd, Some(12.5)); // 100 × 0.125
    let iops = component(&cost, "provisioned IOPS");
    assert_eq!((iops.monthly_usd, iops.detail.as_deref()), (Some(65.0), Some("/dev/sdf"))); // 1000 × 0.065
    assert_eq!(monthly(&cost), 140.236);
    assert!(cost.notes.is_empty(), "{:?}", cost.notes);
}

#[test]
fn gp3_iops_and_throughput_above_the_free_baseline() {
    let value = v(&[("type", s("gp3")), ("size", n(100.0)), ("iops", n(4000.0)), ("throughput", n(250.0))]);
    let cost = price_in("us-east-1", "aws_ebs_volume", &value);
    assert_eq!(component(&cost, "storage gp3").monthly_usd, Some(8.0));
    let iops = component(&cost, "provisioned IOPS");
    assert_eq!((iops.quantity, iops.monthly_usd), (Some(1000.0), Some(5.0)));
    let tp = component(&cost, "throughput");
    assert_eq!((tp.quantity, tp.monthly_usd), (Some(125.0), Some(5.0)));
    assert_eq!(monthly(&cost), 18.0);
    // At the baseline nothing extra is charged.
    let base = price_in(
        "us-east-1",
        "aws_ebs_volume",
        &v(&[("type", s("gp3")), ("size", n(100.0)), ("iops", n(3000.0)), ("throughput", n(125.0))]),
    );
    assert_eq!(base.components.len(), 1);
}

#[test]
fn ebs_volumes_the_catalog_lacks_are_not_priced() {
    let gp3_gov = price_in("us-gov-west-1", "aws_ebs_volume", &v(&[("type", s("gp3")), ("size", n(10.0))]));
    assert_eq!(reason(&gp3_gov), "no price for gp3 EBS storage in us-gov-west-1 in the catalog");
    let gp3_eu = price_in("eu-west-1", "aws_ebs_volume", &v(&[("type", s("gp3")), ("size", n(10.0))]));
    assert_eq!(monthly(&gp3_eu), 0.88); // 10 × 0.088
    let from_snapshot = price_in("us-east-1", "aws_ebs_volume", &v(&[("snapshot_id", s("snap-1")), ("size", Value::unknown())]));
    assert!(reason(&from_snapshot).contains("snapshot"));
    let gp2_default = price_in("eu-west-1", "aws_ebs_volume", &v(&[("size", n(8.0))]));
    assert_eq!(monthly(&gp2_default), 0.88); // 8 × 0.11
}

#[test]
fn db_instance_single_az_with_storage() {
    let value =
        v(&[("instance_class", s("db.t3.micro")), ("engine", s("postgres")), ("allocated_storage", n(20.0)), ("storage_type", s("gp2"))]);
    let cost = price_in("us-east-1", "aws_db_instance", &value);
    assert_eq!(component(&cost, "compute").monthly_usd, Some(13.14)); // 0.018 × 730
    assert_eq!(component(&cost, "storage gp2").monthly_usd, Some(2.3)); // 20 × 0.115
    assert!(component(&cost, "backup storage").depends_on_usage());
    assert_eq!(monthly(&cost), 15.44);
}

#[test]
fn db_instance_multi_az_uses_multi_az_rows() {
    let value = v(&[
        ("instance_class", s("db.t4g.small")),
        ("engine", s("mysql")),
        ("multi_az", Value::Bool(true)),
        ("allocated_storage", n(100.0)),
        ("storage_type", s("gp3")),
    ]);
    let cost = price_in("us-east-1", "aws_db_instance", &value);
    assert_eq!(component(&cost, "compute").monthly_usd, Some(47.45)); // 0.065 × 730, not 2 × 0.032
    assert_eq!(component(&cost, "storage gp3").monthly_usd, Some(23.0)); // 100 × 0.23
}

#[test]
fn db_instance_multi_az_costs_about_twice_single_az() {
    // The dev -> prod change of examples/three-tier: multi_az doubles the database bill.
    for (region, engine, class) in
        [("ap-southeast-2", "postgres", "db.t4g.small"), ("eu-west-1", "mysql", "db.m6i.large"), ("us-east-1", "mariadb", "db.r6g.large")]
    {
        let db = |multi_az: bool| {
            let value = v(&[
                ("instance_class", s(class)),
                ("engine", s(engine)),
                ("multi_az", Value::Bool(multi_az)),
                ("storage_type", s("gp3")),
                ("allocated_storage", n(100.0)),
            ]);
            price_in(region, "aws_db_instance", &value)
        };
        let (single, multi) = (db(false), db(true));
        let ratio = monthly(&multi) / monthly(&single);
        assert!((1.9..=2.1).contains(&ratio), "{region} {engine} {class}: {ratio} ({single:?} / {multi:?})");
        let compute = component(&multi, "compute");
        assert!(compute.detail.as_deref().unwrap().ends_with("Multi-AZ"), "{compute:?}");
        assert!(multi.components.iter().all(|c| c.source_id.is_some() && c.source_url.is_some() && c.source_date.is_some()));
    }
}

#[test]
fn db_instance_multi_az_missing_is_not_priced_never_doubled() {
    let value = v(&[
        ("instance_class", s("db.m6i.xlarge")),
        ("engine", s("postgres")),
        ("multi_az", Value::Bool(true)),
        ("allocated_storage", n(20.0)),
    ]);
    // ap-east-2 (Taipei) has this class Single-AZ only.
    let single = v(&[("instance_class", s("db.m6i.xlarge")), ("engine", s("postgres")), ("allocated_storage", n(20.0))]);
    assert_eq!(component(&price_in("ap-east-2", "aws_db_instance", &single), "compute").unit_usd, 0.444);
    let cost = price_in("ap-east-2", "aws_db_instance", &value);
    assert_eq!(
        reason(&cost),
        "no price for Multi-AZ db.m6i.xlarge PostgreSQL in ap-east-2 in the catalog (strata does not derive Multi-AZ prices)"
    );
    assert!(cost.components.is_empty());
}

#[test]
fn db_instance_gp3_iops_above_the_high_baseline() {
    let value = v(&[
        ("instance_class", s("db.m5.large")),
        ("engine", s("postgres")),
        ("allocated_storage", n(400.0)),
        ("storage_type", s("gp3")),
        ("iops", n(14000.0)),
    ]);
    let cost = price_in("us-east-1", "aws_db_instance", &value);
    let iops = component(&cost, "provisioned IOPS");
    assert_eq!((iops.quantity, iops.monthly_usd), (Some(2000.0), Some(40.0)));
    assert_eq!(component(&cost, "storage gp3").monthly_usd, Some(46.0));
}

#[test]
fn db_instance_gaps_are_named() {
    let unknown_class = v(&[("instance_class", s("db.x9.large")), ("engine", s("postgres")), ("allocated_storage", n(20.0))]);
    assert_eq!(
        reason(&price_in("eu-west-3", "aws_db_instance", &unknown_class)),
        "no price for db.x9.large PostgreSQL in eu-west-3 in the catalog"
    );
    let oracle = v(&[("instance_class", s("db.m5.large")), ("engine", s("oracle-se2")), ("allocated_storage", n(20.0))]);
    assert!(reason(&price_in("us-east-1", "aws_db_instance", &oracle)).contains("license model"));
    let io1 = v(&[
        ("instance_class", s("db.m5.large")),
        ("engine", s("mysql")),
        ("allocated_storage", n(100.0)),
        ("storage_type", s("io1")),
        ("iops", n(1200.0)),
    ]);
    let cost = price_in("us-east-1", "aws_db_instance", &io1);
    assert_eq!(component(&cost, "storage io1").monthly_usd, Some(12.5));
    assert_eq!(component(&cost, "provisioned IOPS").monthly_usd, Some(120.0));
}

#[test]
fn unknown_and_sensitive_inputs_are_not_priced() {
    let unknown = price_in("us-east-1", "aws_instance", &v(&[("instance_type", Value::unknown())]));
    assert_eq!(reason(&unknown), "instance_type is known only after apply");
    let unset = price_in("us-east-1", "aws_instance", &v(&[]));
    assert_eq!(reason(&unset), "instance_type is not set");
    let hidden = price_in("us-east-1", "aws_instance", &v(&[("instance_type", secret(s("m5.4xlarge")))]));
    assert_eq!(reason(&hidden), "instance_type is sensitive; strata never prices from sensitive values");
    let unknown_type = price_in("us-east-1", "aws_instance", &v(&[("instance_type", s("x9.huge"))]));
    assert_eq!(reason(&unknown_type), "no price for x9.huge (Linux, shared tenancy) in us-east-1 in the catalog");
    let spot =
        v(&[("instance_type", s("t3.micro")), ("instance_market_options", Value::List(vec![v(&[("market_type", s("spot"))])].into()))]);
    assert!(reason(&price_in("us-east-1", "aws_instance", &spot)).contains("spot"));
    let whole = price_in("us-east-1", "aws_instance", &secret(v(&[("instance_type", s("t3.micro"))])));
    assert!(reason(&whole).contains("sensitive"));
}

#[test]
fn region_must_be_known() {
    let value = v(&[("instance_type", s("t3.micro"))]);
    let cost = price(pricing("aws_instance"), &value, &PriceContext { catalog: Catalog::embedded(), region: None, usage: None });
    assert_eq!(reason(&cost), "the provider region is not known (set `region` in the provider block)");
    assert_eq!(
        reason(&price_in("ap-south-7", "aws_instance", &value)),
        "no price for t3.micro (Linux, shared tenancy) in ap-south-7 in the catalog"
    );
}

#[test]
fn free_types_are_free_and_unsupported_types_are_not_priced() {
    let free: Vec<&str> = strata_provider::aws::schema()
        .resources
        .values()
        .filter(|t| matches!(t.pricing, Some(Pricing::Free { .. })))
        .map(|t| t.type_name.as_str())
        .collect();
    for ty in ["aws_vpc", "aws_subnet", "aws_security_group", "aws_lb_listener", "aws_volume_attachment", "aws_route53_record"] {
        assert!(free.contains(&ty), "{ty}");
    }
    for ty in free {
        let cost = price(pricing(ty), &v(&[]), &PriceContext { catalog: Catalog::embedded(), region: None, usage: None });
        assert_eq!((cost.status.clone(), cost.monthly_usd()), (CostStatus::Free, Some(0.0)), "{ty}");
    }
    assert!(price_in("us-east-1", "aws_route53_record", &v(&[])).notes[0].contains("queries"));
    assert_eq!(reason(&price_in("us-east-1", "aws_no_such_thing", &v(&[]))), UNSUPPORTED);
    let declared_not_priced = Pricing::NotPriced { reason: "billed by requests" };
    let cost = price(Some(&declared_not_priced), &v(&[]), &PriceContext { catalog: Catalog::embedded(), region: None, usage: None });
    assert_eq!(reason(&cost), "billed by requests");
}

#[test]
fn load_balancer_hours_and_lcus() {
    let alb = v(&[("load_balancer_type", s("application"))]);
    let cost = price_in("us-east-1", "aws_lb", &alb);
    assert_eq!(component(&cost, "load balancer").monthly_usd, Some(16.425)); // 0.0225 × 730
    let lcu = component(&cost, "LCU");
    assert_eq!((lcu.quantity, lcu.monthly_usd, lcu.unit_usd), (None, None, 0.008));
    assert_eq!(monthly(&cost), 16.425);

    let usage = figures(&[("monthly_lcu_hours", 1460.0)]);
    let with_usage = price_with(Catalog::embedded(), "us-east-1", Some(&usage), "aws_lb", &alb);
    assert_eq!(component(&with_usage, "LCU").monthly_usd, Some(11.68)); // 1460 × 0.008
    assert_eq!(monthly(&with_usage), 28.105);

    let nlb = v(&[("load_balancer_type", s("network")), ("internal", Value::Bool(true))]);
    let cost = price_in("eu-west-1", "aws_lb", &nlb);
    assert_eq!(monthly(&cost), 18.396); // 0.0252 × 730
    // A rate the catalog lacks: a note without usage, not priced with it.
    let mut catalog = Catalog::default();
    let hour = Catalog::embedded().get(&PriceKey::new("AWSELB", "eu-west-1", "network-load-balancer")).unwrap().clone();
    catalog.insert(hour);
    let cost = price_with(&catalog, "eu-west-1", None, "aws_lb", &nlb);
    assert_eq!(monthly(&cost), 18.396);
    assert!(cost.notes[0].contains("NLCU"), "{:?}", cost.notes);
    let cost = price_with(&catalog, "eu-west-1", Some(&usage), "aws_lb", &nlb);
    assert_eq!(reason(&cost), "no price for network load balancer NLCUs in eu-west-1 in the catalog");
    assert!(reason(&price_with(&catalog, "eu-west-1", None, "aws_lb", &alb)).contains("application load balancer hours in eu-west-1"));
}

#[test]
fn nat_gateway_hours_and_data_processed() {
    let cost = price_in("us-east-1", "aws_nat_gateway", &v(&[("subnet_id", Value::unknown())]));
    assert_eq!(monthly(&cost), 32.85);
    assert!(component(&cost, "data processed").depends_on_usage());
    let usage = figures(&[("monthly_data_processed_gb", 100.0)]);
    let cost = price_with(Catalog::embedded(), "us-east-1", Some(&usage), "aws_nat_gateway", &v(&[]));
    assert_eq!(component(&cost, "data processed").monthly_usd, Some(4.5));
    assert_eq!(monthly(&cost), 37.35);
}

#[test]
fn elastic_ip_uses_what_the_catalog_has() {
    // In use and idle addresses cost the same in every region of the catalog.
    let unattached = price_in("us-east-1", "aws_eip", &v(&[("domain", s("vpc")), ("instance", Value::unknown())]));
    assert_eq!(monthly(&unattached), 3.65); // 0.005 × 730
    assert_eq!(component(&unattached, "public IPv4 address").detail.as_deref(), Some("in use or unattached: one rate"));
    assert!(unattached.notes.is_empty(), "{:?}", unattached.notes);
    let attached = price_in("ap-southeast-2", "aws_eip", &v(&[("instance", s("i-0abc"))]));
    let ip = component(&attached, "public IPv4 address");
    assert_eq!((ip.detail.as_deref(), ip.monthly_usd), (Some("in use"), Some(3.65)));
    assert!(ip.source.contains("vpc.json") && ip.source_id.is_some(), "{ip:?}");
    // With only the idle rate known (an offer file over an empty catalog), the gap is a note.
    let mut catalog = Catalog::default();
    catalog.insert(PriceRow {
        key: PriceKey::new("AmazonVPC", "us-east-1", "public-ipv4-idle"),
        attributes: Default::default(),
        description: None,
        unit: "Hrs".into(),
        usd_per_unit: 0.005,
        source: PriceSource::text("test"),
    });
    let idle = price_with(&catalog, "us-east-1", None, "aws_eip", &v(&[]));
    assert_eq!(monthly(&idle), 3.65);
    assert!(idle.notes[0].contains("in-use rate"));
    let attached = price_with(&catalog, "us-east-1", None, "aws_eip", &v(&[("instance", s("i-0abc"))]));
    assert_eq!(reason(&attached), "no price for an in-use public IPv4 address in us-east-1 in the catalog");
}

#[test]
fn public_ipv4_of_instances_and_load_balancers() {
    let base = [("instance_type", s("t3.micro"))];
    let public = price_in("eu-west-1", "aws_instance", &v(&[base[0].clone(), ("associate_public_ip_address", Value::Bool(true))]));
    assert_eq!(component(&public, "public IPv4 address").monthly_usd, Some(3.65));
    let private = price_in("eu-west-1", "aws_instance", &v(&[base[0].clone(), ("associate_public_ip_address", Value::Bool(false))]));
    assert!(private.components.iter().all(|c| !c.name.contains("IPv4")), "{private:?}");
    // Unknown (the attribute is computed): the subnet decides, which pricing cannot see.
    let unknown = price_in("eu-west-1", "aws_instance", &v(&[base[0].clone(), ("associate_public_ip_address", Value::unknown())]));
    assert!(unknown.components.iter().all(|c| !c.name.contains("IPv4")), "{unknown:?}");

    let subnets = Value::list(vec![Value::unknown(), Value::unknown(), Value::unknown()]);
    let alb = price_in("ap-southeast-2", "aws_lb", &v(&[("subnets", subnets.clone())]));
    let ips = component(&alb, "public IPv4 addresses");
    assert_eq!((ips.quantity, ips.monthly_usd, ips.detail.as_deref()), (Some(2190.0), Some(10.95), Some("one per subnet")));
    assert!(alb.notes.is_empty(), "{:?}", alb.notes);
    // A set of subnet IDs known only after apply: at least the two subnets an ALB needs.
    let unknown_ids = Value::Set(vec![Value::unknown()].into());
    let alb = price_in("ap-southeast-2", "aws_lb", &v(&[("subnets", unknown_ids)]));
    assert_eq!(component(&alb, "public IPv4 addresses").quantity, Some(1460.0));
    assert!(alb.notes[0].contains("2 public IPv4 addresses are assumed"), "{:?}", alb.notes);
    let internal = price_in("ap-southeast-2", "aws_lb", &v(&[("subnets", subnets), ("internal", Value::Bool(true))]));
    assert!(internal.components.iter().all(|c| !c.name.contains("IPv4")), "{internal:?}");
    // An NLB subnet mapping with its own Elastic IP adds no address here (the aws_eip is priced).
    let mapping = |eip: Option<Value>| {
        let mut m = vec![("subnet_id", s("subnet-1"))];
        m.extend(eip.map(|e| ("allocation_id", e)));
        v(&m)
    };
    let nlb =
        v(&[("load_balancer_type", s("network")), ("subnet_mapping", Value::list(vec![mapping(Some(Value::unknown())), mapping(None)]))]);
    let cost = price_in("eu-west-1", "aws_lb", &nlb);
    assert_eq!(component(&cost, "public IPv4 address").quantity, Some(730.0));
}

#[test]
fn hosted_zone_is_priced_per_zone_month() {
    let cost = price_in("ap-southeast-2", "aws_route53_zone", &v(&[("name", s("example.com"))]));
    let zone = component(&cost, "hosted zone");
    assert_eq!((zone.quantity, zone.monthly_usd), (Some(1.0), Some(0.5)));
    assert!(zone.source.contains("route53.json") && zone.source_date.is_some(), "{zone:?}");
    // Without a price, it is not priced.
    let empty = Catalog::default();
    assert_eq!(
        reason(&price_with(&empty, "eu-west-1", None, "aws_route53_zone", &v(&[]))),
        "no price for a Route 53 hosted zone in the catalog"
    );
}

// Offer files.

#[test]
fn offer_file_extends_the_catalog_with_a_new_region() {
    let mut catalog = Catalog::embedded().clone();
    let load = catalog.load_offer_file(&fixture("ec2-eu-west-3.json")).unwrap();
    assert_eq!((load.offer_code.as_str(), load.added, load.replaced), ("AmazonEC2", 0, 8));
    assert_eq!(load.regions.iter().collect::<Vec<_>>(), ["eu-west-3"]);
    let row = catalog.get(&PriceKey::new("AmazonEC2", "eu-west-3", "t3.micro")).unwrap();
    // The Linux/Shared/NA/Used product, not the Windows, dedicated or unused-reservation ones, nor the reserved term.
    assert_eq!(row.usd_per_unit, 0.0118);
    assert!(row.source.text.contains("ec2-eu-west-3.json") && row.source.text.contains("7QE8QUMJ5FVMZ4NU"), "{}", row.source.text);
    let throughput = catalog.get(&PriceKey::new("AmazonEC2", "eu-west-3", "ebs-gp3-throughput")).unwrap();
    assert_eq!((&*throughput.unit, throughput.usd_per_unit), ("MiBps-Mo", 47.5136 / 1024.0));

    let value = v(&[("instance_type", s("t3.micro"))]);
    let cost = price_with(&catalog, "eu-west-3", None, "aws_instance", &value);
    assert_eq!(monthly(&cost), 9.3564); // 0.0118 × 730 + 8 × 0.0928
    assert_eq!(row.source.date.as_deref(), offer_date(&fixture("ec2-eu-west-3.json")).as_deref());
    let nat = price_with(&catalog, "eu-west-3", Some(&figures(&[("monthly_data_processed_gb", 10.0)])), "aws_nat_gateway", &v(&[]));
    assert_eq!(monthly(&nat), 35.52); // 0.048 × 730 + 10 × 0.048
}

#[test]
fn offer_file_overrides_catalog_prices() {
    let mut catalog = Catalog::embedded().clone();
    let key = PriceKey::new("AmazonRDS", "us-east-1", "storage-gp2").deployment("Single-AZ");
    assert_eq!(catalog.get(&key).unwrap().source.id.as_deref(), Some("s1089"));
    let load = catalog.load_offer_file(&fixture("rds-us-east-1.json")).unwrap();
    assert_eq!((load.added, load.replaced), (0, 2)); // both prices are in the embedded catalog
    assert!(catalog.get(&key).unwrap().source.text.contains("rds-us-east-1.json"));
    // The Multi-AZ price now comes from the file; SQL Server is skipped.
    let value = v(&[
        ("instance_class", s("db.t3.micro")),
        ("engine", s("postgres")),
        ("multi_az", Value::Bool(true)),
        ("allocated_storage", n(20.0)),
    ]);
    assert_eq!(component(&price_in("us-east-1", "aws_db_instance", &value), "compute").source_id.as_deref(), Some("s604"));
    let cost = price_with(&catalog, "us-east-1", None, "aws_db_instance", &value);
    assert!(component(&cost, "compute").source.contains("rds-us-east-1.json"));
    assert_eq!(component(&cost, "compute").monthly_usd, Some(26.28)); // 0.036 × 730
    assert_eq!(component(&cost, "storage gp2").monthly_usd, Some(4.6)); // 20 × 0.23 (Multi-AZ)
}

#[test]
fn bad_offer_files_are_errors() {
    let mut catalog = Catalog::default();
    let err = catalog.load_offer_json(b"{ not json", "x.json").unwrap_err();
    assert_eq!(err.code, "strata::cost::bad_offer_file");
    assert!(err.message.starts_with("x.json is not an AWS Price List offer file"), "{}", err.message);
    let empty = br#"{"offerCode": "AmazonS3", "products": {}, "terms": {"OnDemand": {}}}"#;
    assert_eq!(catalog.load_offer_json(empty, "s3.json").unwrap_err().message, "s3.json has no price strata uses");
    let missing = catalog.load_offer_file(&fixture("no-such-file.json")).unwrap_err();
    assert!(missing.message.starts_with("cannot read the price file"), "{}", missing.message);
}

// Usage files.

#[test]
fn usage_file_by_type_and_address() {
    let text = "# monthly figures\naws_nat_gateway:\n  monthly_data_processed_gb: 50\nmodule.network.aws_nat_gateway.this:\n  monthly_data_processed_gb: 400\naws_lb.web[0]: { monthly_lcu_hours: 730 }\n";
    let usage = Usage::from_yaml(text, FileId(0)).unwrap();
    assert_eq!(usage.figures("aws_nat_gateway.other", "aws_nat_gateway").get("monthly_data_processed_gb"), Some(50.0));
    assert_eq!(usage.figures("module.network.aws_nat_gateway.this[0]", "aws_nat_gateway").get("monthly_data_processed_gb"), Some(400.0));
    assert_eq!(usage.figures("aws_lb.web[0]", "aws_lb").get("monthly_lcu_hours"), Some(730.0));
    assert_eq!(usage.figures("aws_lb.web[1]", "aws_lb").get("monthly_lcu_hours"), None);
    assert!(Usage::from_yaml("# nothing yet\n", FileId(0)).unwrap().is_empty());
}

#[test]
fn usage_file_errors_name_the_entry() {
    let err = Usage::from_yaml("aws_lb.web:\n  monthly_lcu_hour: 10\n", FileId(3)).unwrap_err();
    let d = &err.0[0];
    assert_eq!(
        (d.code, d.message.as_str(), d.help.as_deref()),
        ("strata::cost::bad_usage_file", "unknown usage key `monthly_lcu_hour` for aws_lb", Some("did you mean `monthly_lcu_hours`?"))
    );
    assert_eq!(d.primary_span().unwrap().range, 14..30);
    let err =
        Usage::from_yaml("aws_vpc:\n  monthly_data_processed_gb: 1\naws_nat_gateway.x:\n  monthly_data_processed_gb: lots\n", FileId(0))
            .unwrap_err();
    let messages: Vec<&str> = err.0.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        ["`aws_nat_gateway.x.monthly_data_processed_gb` must be a number of zero or more", "aws_vpc has no usage-priced parts"]
    );
    let err = Usage::from_yaml("aws_lb.web: [1, 2\n", FileId(0)).unwrap_err();
    assert!(err.0[0].message.starts_with("invalid usage file"), "{}", err.0[0].message);
    assert!(err.0[0].primary_span().is_some());
}

// Reports.

fn input(address: &str, ty: &str, layer: u8, before: Option<Value>, after: Option<Value>) -> CostInput {
    CostInput { address: address.into(), ty: ty.into(), pricing: pricing(ty).cloned(), layer, region: None, before, after }
}

fn sample_inputs() -> Vec<CostInput> {
    let micro = v(&[("instance_type", s("t3.micro"))]);
    let small = v(&[("instance_type", s("t3.small"))]);
    let db =
        v(&[("instance_class", s("db.t3.micro")), ("engine", s("postgres")), ("allocated_storage", n(20.0)), ("storage_type", s("gp2"))]);
    vec![
        input("aws_instance.app", "aws_instance", 3, Some(micro), Some(small)),
        input("aws_vpc.main", "aws_vpc", 1, None, Some(v(&[]))),
        input("aws_nat_gateway.main", "aws_nat_gateway", 1, None, Some(v(&[]))),
        input("aws_db_instance.old", "aws_db_instance", 2, Some(db), None),
        input("aws_s3_bucket.logs", "aws_s3_bucket", 1, None, Some(v(&[]))),
    ]
}

#[test]
fn report_lines_subtotals_and_totals() {
    let report = build_report(&sample_inputs(), Some("us-east-1"), Catalog::embedded(), &Usage::default());
    let order: Vec<&str> = report.resources.iter().map(|l| l.address.as_str()).collect();
    assert_eq!(order, ["aws_vpc.main", "aws_nat_gateway.main", "aws_s3_bucket.logs", "aws_db_instance.old", "aws_instance.app"]);
    let app = &report.resources[4];
    // t3.micro → t3.small, both with the assumed 8 GiB gp3 root volume (0.64).
    assert_eq!((app.before_monthly, app.after_monthly, app.delta), (Some(8.232), Some(15.824), Some(7.592)));
    let db = &report.resources[3];
    assert_eq!((db.before_monthly, db.after_monthly, db.delta), (Some(15.44), None, Some(-15.44)));
    let bucket = &report.resources[2];
    assert_eq!((bucket.status(), bucket.delta), (LineStatus::NotPriced, None));
    let layers: Vec<(u8, f64, f64, f64)> = report.layers.iter().map(|l| (l.layer, l.before, l.after, l.delta)).collect();
    assert_eq!(layers, [(1, 0.0, 32.85, 32.85), (2, 15.44, 0.0, -15.44), (3, 8.232, 15.824, 7.592)]);
    assert_eq!(report.layers[1].name, "data");
    assert_eq!((report.total_before, report.total_after, report.delta), (23.672, 48.674, 25.002));
    assert_eq!(report.delta_percent, Some(money(25.002 / 23.672 * 100.0)));
    assert_eq!(report.counts, Counts { priced: 3, free: 1, not_priced: 1 });
    // The NAT gateway's data processing; the deleted database's backup storage is not planned.
    assert_eq!(report.usage_based_parts, 1);
}

#[test]
fn a_side_that_is_not_priced_stays_out_of_its_total_and_the_change() {
    let inputs = [input(
        "aws_instance.a",
        "aws_instance",
        3,
        Some(v(&[("instance_type", s("t3.micro"))])),
        Some(v(&[("instance_type", Value::unknown())])),
    )];
    let report = build_report(&inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    // The priced side counts in its total; the change leaves the resource out.
    assert_eq!((report.total_before, report.total_after, report.delta, report.delta_percent), (8.232, 0.0, 0.0, None));
    assert_eq!(report.counts.not_priced, 1);
    assert!(report.lower_bound);
    assert_eq!(report.resources[0].not_priced_reason(), Some("instance_type is known only after apply"));
}

#[test]
fn report_usage_and_provider_regions_apply_per_resource() {
    let usage = Usage::from_yaml("aws_nat_gateway.main: { monthly_data_processed_gb: 100 }\n", FileId(0)).unwrap();
    let mut inputs = vec![input("aws_nat_gateway.main", "aws_nat_gateway", 1, None, Some(v(&[])))];
    inputs.push(CostInput {
        region: Some("eu-west-1".into()),
        ..input("aws_instance.eu", "aws_instance", 3, None, Some(v(&[("instance_type", s("t3.micro"))])))
    });
    let report = build_report(&inputs, Some("us-east-1"), Catalog::embedded(), &usage);
    assert_eq!(report.resources[0].after_monthly, Some(37.35));
    assert_eq!(report.usage_based_parts, 0);
    // Priced in eu-west-1: 0.0114 × 730 + 8 GB × 0.088 (the assumed gp3 root volume).
    assert_eq!(report.resources[1].after_monthly, Some(9.026));
}

#[test]
fn read_replicas_take_engine_and_storage_from_their_source() {
    let primary = v(&[
        ("identifier", s("hub-primary")),
        ("instance_class", s("db.t4g.small")),
        ("engine", s("postgres")),
        ("allocated_storage", n(20.0)),
        ("storage_type", s("gp3")),
        ("multi_az", Value::Bool(false)),
    ]);
    let replica = v(&[
        ("identifier", s("hub-replica")),
        ("replicate_source_db", s("hub-primary")),
        ("instance_class", s("db.t4g.small")),
        ("engine", Value::unknown()),
        ("allocated_storage", Value::unknown()),
        ("multi_az", Value::Bool(false)),
    ]);
    let orphan = v(&[("replicate_source_db", s("arn:aws:rds:us-east-1:123456789012:db:elsewhere")), ("instance_class", s("db.t4g.small"))]);
    let inputs = [
        input("module.db.aws_db_instance.primary", "aws_db_instance", 2, None, Some(primary)),
        input("module.db.aws_db_instance.replica[0]", "aws_db_instance", 2, None, Some(replica)),
        input("aws_db_instance.orphan", "aws_db_instance", 2, None, Some(orphan)),
    ];
    let report = build_report(&inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    let (p, r) = (&report.resources[0], &report.resources[1]);
    assert_eq!(p.after_monthly, Some(25.66)); // 0.032 × 730 + 20 × 0.115
    assert_eq!(r.after_monthly, p.after_monthly);
    assert!(r.after.as_ref().unwrap().notes[0].contains("module.db.aws_db_instance.primary"));
    assert_eq!(
        report.resources[2].not_priced_reason(),
        Some("engine is known only after apply: this read replica takes it from a source database that is not in this configuration")
    );
}

#[test]
fn baseline_round_trips_through_json() {
    let report = build_report(&sample_inputs(), Some("us-east-1"), Catalog::embedded(), &Usage::default());
    let json = report.to_json();
    assert!(json.contains("\"total_after\": 48.674"), "{json}");
    let back = CostReport::from_json(&json, "base.json").unwrap();
    assert_eq!(back, report);
    assert_eq!(back.to_json(), json);
}

#[test]
fn compare_to_uses_the_baselines_after_figures() {
    let base_inputs = [
        input("aws_instance.app", "aws_instance", 3, None, Some(v(&[("instance_type", s("t3.micro"))]))),
        input("aws_nat_gateway.gone", "aws_nat_gateway", 1, None, Some(v(&[]))),
    ];
    let head_inputs = [
        input("aws_instance.app", "aws_instance", 3, None, Some(v(&[("instance_type", s("t3.medium"))]))),
        input("aws_eip.new", "aws_eip", 1, None, Some(v(&[]))),
    ];
    let base = build_report(&base_inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    let base = CostReport::from_json(&base.to_json(), "base.json").unwrap();
    let head = build_report(&head_inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    let cmp = head.compare_to(&base);
    assert!(cmp.baseline);
    type Row<'a> = (&'a str, Option<f64>, Option<f64>, Option<f64>);
    let lines: Vec<Row> = cmp.resources.iter().map(|l| (l.address.as_str(), l.before_monthly, l.after_monthly, l.delta)).collect();
    assert_eq!(
        lines,
        [
            ("aws_eip.new", None, Some(3.65), Some(3.65)),
            ("aws_nat_gateway.gone", Some(32.85), None, Some(-32.85)),
            ("aws_instance.app", Some(8.232), Some(31.008), Some(22.776)),
        ]
    );
    assert_eq!((cmp.total_before, cmp.total_after, cmp.delta), (41.082, 34.658, -6.424));
    assert_eq!(cmp.compared_to.as_ref().map(|b| b.total), Some(41.082));
}

/// Guards against `--compare-to` rewriting the baseline's total ($137.81 →
/// $112.15 for three-tier): a resource the baseline priced that cannot be
/// priced now was dropped from the "before" total too. The "before" total is
/// what the baseline recorded; the change leaves the resource out.
#[test]
fn compare_to_keeps_the_baselines_recorded_total() {
    let db = |class: &str| {
        v(&[("instance_class", s(class)), ("engine", s("postgres")), ("allocated_storage", n(20.0)), ("storage_type", s("gp3"))])
    };
    let base_inputs = [
        input("aws_instance.app", "aws_instance", 3, None, Some(v(&[("instance_type", s("t3.micro"))]))),
        input("aws_db_instance.db", "aws_db_instance", 2, None, Some(db("db.t4g.small"))),
    ];
    let head_inputs = [
        input("aws_instance.app", "aws_instance", 3, None, Some(v(&[("instance_type", s("t3.micro"))]))),
        input("aws_db_instance.db", "aws_db_instance", 2, None, Some(db("db.x99.nonesuch"))),
    ];
    let mut base = build_report(&base_inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    base.project = Some("shop".into());
    let recorded = base.total_after;
    assert!(recorded > 30.0, "{recorded}");
    let base = CostReport::from_json(&base.to_json(), "base.json").unwrap();
    assert_eq!(base.project.as_deref(), Some("shop"));
    let mut head = build_report(&head_inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    head.project = Some("shop".into());
    let cmp = head.compare_to(&base);
    assert_eq!(cmp.total_before, recorded, "the baseline's total as it recorded it");
    assert_eq!(cmp.compared_to.as_ref().map(|b| b.total), Some(recorded));
    assert_eq!(cmp.delta, 0.0, "the unpriced database is no change: {cmp:?}");
    assert!(cmp.lower_bound);
    assert!(head.baseline_mismatches(&base).is_empty());
    let mut elsewhere = head.clone();
    (elsewhere.project, elsewhere.region) = (Some("blog".into()), Some("eu-west-1".into()));
    assert_eq!(
        elsewhere.baseline_mismatches(&base),
        ["the baseline was recorded for project `shop`, not `blog`", "the baseline was priced in us-east-1, this run in eu-west-1"]
    );
}

/// Baselines written before `format_version` (version 1) are still read.
#[test]
fn version_1_baselines_are_read() {
    let json = build_report(&sample_inputs(), Some("us-east-1"), Catalog::embedded(), &Usage::default())
        .to_json()
        .replace("\"format_version\": 2", "\"version\": 1");
    assert!(json.contains("\"version\": 1"), "{json}");
    let back = CostReport::from_json(&json, "old.json").unwrap();
    assert_eq!(back.format_version, REPORT_VERSION);
    assert_eq!(back.total_after, 48.674);
}

#[test]
fn bad_baselines_are_errors() {
    let err = CostReport::from_json("{", "base.json").unwrap_err();
    assert_eq!(err.code, "strata::cost::bad_baseline");
    assert!(err.message.starts_with("base.json is not valid JSON"));
    assert_eq!(
        CostReport::from_json("{}", "base.json").unwrap_err().message,
        "base.json is not a strata cost report (no `format_version`)"
    );
    let newer = CostReport::from_json(r#"{"format_version": 3}"#, "base.json").unwrap_err();
    assert!(newer.message.contains("version 3"), "{}", newer.message);
    assert!(
        CostReport::from_json(r#"{"version": 1, "resources": 3}"#, "base.json").unwrap_err().message.contains("not a strata cost report")
    );
}

#[test]
fn sensitive_values_never_reach_the_report() {
    let db = v(&[
        ("instance_class", s("db.t3.micro")),
        ("engine", s("postgres")),
        ("allocated_storage", n(20.0)),
        ("password", secret(s("hunter2-very-secret"))),
    ]);
    let hidden = v(&[("instance_type", secret(s("x1e.32xlarge-secret")))]);
    let inputs =
        [input("aws_db_instance.db", "aws_db_instance", 2, None, Some(db)), input("aws_instance.h", "aws_instance", 3, None, Some(hidden))];
    let json = build_report(&inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default()).to_json();
    assert!(!json.contains("hunter2") && !json.contains("x1e.32xlarge"), "{json}");
}

// Budgets.

#[test]
fn budget_from_the_strata_block() {
    let value = v(&[("monthly_limit", n(500.0)), ("max_increase", s("100")), ("max_increase_percent", Value::Null)]);
    let budget = Budget::from_value(&value, None).unwrap();
    assert_eq!(budget, Budget { monthly_limit: Some(500.0), max_increase: Some(100.0), max_increase_percent: None, strict: false });
    assert!(Budget::from_value(&Value::Null, None).unwrap().is_empty());

    let bad = v(&[
        ("monthly_limt", n(1.0)),
        ("max_increase", n(-5.0)),
        ("max_increase_percent", Value::Bool(true)),
        ("monthly_limit", Value::unknown()),
    ]);
    let diags = Budget::from_value(&bad, None).unwrap_err();
    let found: Vec<(&str, Option<&str>)> = diags.iter().map(|d| (d.message.as_str(), d.help.as_deref())).collect();
    assert_eq!(
        found,
        [
            ("`max_increase` must be zero or more", None),
            ("`max_increase_percent` must be a number, not a bool", None),
            ("`monthly_limit` must be known before apply", None),
            ("unknown budget setting `monthly_limt`", Some("did you mean `monthly_limit`?")),
        ]
    );
    assert!(diags.iter().all(|d| d.code == "strata::cost::invalid_budget"));
    let secret_limit = Budget::from_value(&v(&[("monthly_limit", secret(n(9.0)))]), None).unwrap_err();
    assert!(secret_limit.0[0].message.contains("must not be sensitive"));
    assert_eq!(Budget::from_value(&s("cheap"), None).unwrap_err().0[0].message, "the `budget` block must be an object, not a string");
    assert!(Budget::from_value(&secret(v(&[])), None).unwrap_err().0[0].message.contains("must not be sensitive"));
}

#[test]
fn budget_violations_name_the_limit_and_figures() {
    let report = build_report(&sample_inputs(), Some("us-east-1"), Catalog::embedded(), &Usage::default());
    let budget = Budget { monthly_limit: Some(40.0), max_increase: Some(20.0), max_increase_percent: Some(100.0), strict: false };
    let violations = check_budget(&report, &budget);
    let messages: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "the monthly cost after this plan, $48.67, exceeds the budget's monthly_limit of $40.00 (1 resource is not priced and not counted)",
            "the monthly cost increases by $25.00, more than the budget's max_increase of $20.00 (1 resource is not priced and not counted)",
            "the monthly cost increases by 105.6%, more than the budget's max_increase_percent of 100% (1 resource is not priced and not counted)",
            "the budget check is incomplete: 1 resource could not be priced and is not counted in its figures",
        ]
    );
    assert_eq!(violations[0].limit.name(), "monthly_limit");
    assert_eq!(violations[2].to_diagnostic(None).code, "strata::cost::budget_exceeded");
    let loose = Budget { monthly_limit: Some(48.674), max_increase: Some(25.002), max_increase_percent: Some(106.0), strict: false };
    let only_incomplete = check_budget(&report, &loose);
    assert_eq!(only_incomplete.iter().map(|v| v.limit).collect::<Vec<_>>(), [BudgetLimit::Complete]);
    assert!(!only_incomplete[0].blocking);
}

/// Guards against a budget check that passed silently while resources went
/// unpriced: it warns that it is incomplete, fails under `strict = true`,
/// and the report carries its status.
#[test]
fn unpriced_resources_make_the_budget_check_incomplete() {
    let report = build_report(&sample_inputs(), Some("us-east-1"), Catalog::embedded(), &Usage::default());
    assert_eq!(report.counts.not_priced, 1);
    let lenient = Budget { monthly_limit: Some(1000.0), ..Budget::default() };
    let found = check_budget(&report, &lenient);
    assert_eq!(found.len(), 1);
    let d = found[0].to_diagnostic(None);
    assert_eq!((d.code, d.severity), ("strata::cost::budget_incomplete", strata_core::Severity::Warning));
    let strict = Budget { strict: true, ..lenient };
    let found = check_budget(&report, &strict);
    assert!(found[0].blocking);
    assert_eq!(found[0].to_diagnostic(None).severity, strata_core::Severity::Error);
    let status = crate::BudgetStatus::new(&strict, &found);
    assert!(status.incomplete && status.failed && status.breached.is_empty(), "{status:?}");
    let parsed = Budget::from_value(&v(&[("monthly_limit", n(5.0)), ("strict", Value::Bool(true))]), None).unwrap();
    assert!(parsed.strict);
    // Everything priced: nothing to say.
    let priced = build_report(
        &[input("aws_nat_gateway.a", "aws_nat_gateway", 1, None, Some(v(&[])))],
        Some("us-east-1"),
        Catalog::embedded(),
        &Usage::default(),
    );
    assert!(check_budget(&priced, &strict).is_empty());
}

#[test]
fn percentage_limits_do_not_apply_to_a_first_deployment() {
    let inputs = [input("aws_nat_gateway.a", "aws_nat_gateway", 1, None, Some(v(&[])))];
    let report = build_report(&inputs, Some("us-east-1"), Catalog::embedded(), &Usage::default());
    assert_eq!(report.delta_percent, None);
    let budget = Budget { max_increase_percent: Some(10.0), ..Budget::default() };
    assert!(check_budget(&report, &budget).is_empty());
    let budget = Budget { max_increase: Some(10.0), ..Budget::default() };
    assert_eq!(check_budget(&report, &budget)[0].limit, BudgetLimit::MaxIncrease);
}

// Formatting.

#[test]
fn money_formats() {
    assert_eq!(format_usd(1234.56), "$1,234.56");
    assert_eq!(format_usd(1234567.891), "$1,234,567.89");
    assert_eq!(format_usd(0.0), "$0.00");
    assert_eq!(format_usd(-3.5), "-$3.50");
    assert_eq!(format_usd(-0.001), "$0.00");
    assert_eq!(format_usd(999.999), "$1,000.00");
    assert_eq!(format_usd_delta(12.0), "+$12.00");
    assert_eq!(format_usd_delta(-12.0), "-$12.00");
    assert_eq!(format_usd_delta(0.001), "$0.00");
    assert_eq!(format_unit_usd(0.0104), "$0.0104");
    assert_eq!(format_unit_usd(0.5), "$0.50");
    assert_eq!(format_unit_usd(47.5136 / 1024.0), "$0.0464");
    assert_eq!(format_unit_usd(1234.0), "$1,234.00");
    assert_eq!(format_percent(12.345), "+12.3%");
    assert_eq!(format_percent(-3.0), "-3.0%");
    assert_eq!(format_percent(-0.01), "+0.0%");
}

#[test]
fn infracost_usage_files_are_read_with_their_key_names() {
    let text = "version: 0.1\n\
                resource_type_default_usage:\n  aws_nat_gateway:\n    monthly_data_processed_gb: 50\n\
                resource_usage:\n  aws_nat_gateway.main:\n    monthly_data_processed_gb: 400\n\
                \x20 aws_db_instance.db[*]:\n    additional_backup_storage_gb: 30\n    monthly_standard_io_requests: 2000000\n\
                \x20 aws_instance.web:\n    operating_system: linux\n\
                \x20 aws_lambda_function.f:\n    monthly_requests: 100\n";
    let usage = Usage::from_yaml(text, FileId(0)).unwrap();
    assert_eq!(usage.figures("aws_nat_gateway.main", "aws_nat_gateway"), figures(&[("monthly_data_processed_gb", 400.0)]));
    assert_eq!(usage.figures("aws_nat_gateway.other", "aws_nat_gateway"), figures(&[("monthly_data_processed_gb", 50.0)]));
    assert_eq!(
        usage.figures("aws_db_instance.db", "aws_db_instance"),
        figures(&[("monthly_backup_storage_gb", 30.0), ("monthly_io_requests_million", 2.0)])
    );
    let warnings: Vec<&str> = usage.warnings().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "usage key `operating_system` of `aws_instance.web` is not used: strata does not price it for aws_instance",
            "aws_lambda_function has no usage-priced parts in strata; the figures for `aws_lambda_function.f` are not used",
        ]
    );
    assert!(usage.warnings().iter().all(|d| d.code == "strata::cost::usage_unused" && !d.is_error()));
    // In strata's own format the same mistakes are errors.
    assert!(Usage::from_yaml("aws_instance.web:\n  operating_system: 1\n", FileId(0)).is_err());
}

#[test]
fn usage_templates_list_usage_priced_resources_and_keep_figures() {
    let existing = Usage::from_yaml(
        "aws_nat_gateway:\n  monthly_data_processed_gb: 5\naws_lb.web:\n  monthly_lcu_hours: 1460\naws_lb.gone:\n  monthly_lcu_hours: 1\n",
        FileId(0),
    )
    .unwrap();
    let resources = [
        ("aws_lb.web".to_string(), "aws_lb".to_string()),
        ("aws_vpc.main".to_string(), "aws_vpc".to_string()),
        ("aws_db_instance.db[\"a\"]".to_string(), "aws_db_instance".to_string()),
    ];
    let text = usage_template(&resources, &existing);
    assert!(text.contains("\naws_lb.web:\n  monthly_lcu_hours: 1460  # load balancer capacity unit hours"), "{text}");
    assert!(text.contains("\n'aws_db_instance.db[\"a\"]':\n  # monthly_backup_storage_gb: 0  # GB-months"), "{text}");
    assert!(!text.contains("aws_vpc"), "{text}");
    assert!(text.contains("# Kept from the file: addresses not listed above.\n\naws_lb.gone:\n  monthly_lcu_hours: 1  #"), "{text}");
    // The template reads back with the same figures.
    let back = Usage::from_yaml(&text, FileId(0)).unwrap();
    assert_eq!(back.figures("aws_lb.web", "aws_lb"), existing.figures("aws_lb.web", "aws_lb"));
    assert_eq!(back.figures("aws_nat_gateway.x", "aws_nat_gateway"), figures(&[("monthly_data_processed_gb", 5.0)]));
    assert_eq!(back.figures("aws_db_instance.db[\"a\"]", "aws_db_instance"), UsageFigures::default());
}
