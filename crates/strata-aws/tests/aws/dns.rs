//! Route 53 hosted zones and records against moto.

use strata_core::Value;

use crate::lb::{assert_no_diff, find, get, import, list_ids, network, num, strs, tags, token};
use crate::support::{self, addr, create, id_of, planned, read, s, update};

fn zone_name(what: &str) -> String {
    format!("{what}-{}.strata-test.com", std::process::id())
}

fn zone_config(name: &str, extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut config = vec![("name", s(name)), ("tags", tags(&[("Zone", name)]))];
    config.extend(extra.iter().cloned());
    config
}

fn block(items: &[(&str, Value)]) -> Value {
    Value::List(vec![Value::map(items.iter().map(|(k, v)| (k.to_string(), v.clone())))].into())
}

async fn delete_error(p: &strata_aws::AwsProvider, address: &str, ty: &str, prior: Value) -> Option<strata_provider::ProviderError> {
    use strata_provider::{ApplyAction, ApplyRequest, Provider, Timeouts};
    let req = ApplyRequest {
        addr: addr(address),
        ty: ty.into(),
        action: ApplyAction::Delete,
        prior: Some(prior),
        planned: Value::Null,
        token: None,
        timeouts: Timeouts::default(),
    };
    p.apply(req).await.error
}

#[tokio::test]
async fn moto_zones_are_created_read_in_one_batch_updated_in_place_and_deleted() {
    let p = support::provider().await;
    let mut states = Vec::new();
    for i in 0..3 {
        let address = format!("aws_route53_zone.z[{i}]");
        let config = planned("aws_route53_zone", &zone_config(&zone_name(&format!("z{i}")), &[]));
        states.push((address.clone(), create(&p, &address, "aws_route53_zone", config).await));
    }
    let (address, zone) = &states[0];
    let zone_id = id_of(zone);
    assert!(!zone_id.is_empty() && !zone_id.starts_with('/'), "{zone:?}");
    assert_eq!(get(zone, "zone_id"), &s(&zone_id));
    assert_eq!(get(zone, "arn"), &s(&format!("arn:aws:route53:::hostedzone/{zone_id}")));
    assert_eq!(get(zone, "name"), &s(&zone_name("z0")));
    assert_eq!(get(zone, "comment"), &s("Managed by Terraform"));
    let name_servers = get(zone, "name_servers").as_seq().unwrap();
    assert!(!name_servers.is_empty());
    assert!(name_servers.contains(get(zone, "primary_name_server")));
    assert_eq!(get(zone, "tags_all"), &tags(&[("Team", "platform"), ("Zone", &zone_name("z0"))]));
    assert_no_diff("aws_route53_zone", zone, &zone_config(&zone_name("z0"), &[]));

    // One ListHostedZones page and one ListTagsForResources for the three.
    let objects: Vec<(&str, &Value)> = states.iter().map(|(a, v)| (a.as_str(), v)).collect();
    let (read_back, calls) = read(&p, "aws_route53_zone", &objects).await;
    assert_eq!(calls, 2);
    for ((_, created), got) in states.iter().zip(&read_back) {
        assert_eq!(got.as_ref(), Some(created));
    }

    let changed = zone_config(&zone_name("z0"), &[("comment", s("edge zone")), ("tags", tags(&[("Env", "test")]))]);
    let zone = update(&p, address, "aws_route53_zone", zone.clone(), planned("aws_route53_zone", &changed)).await;
    assert_eq!(id_of(&zone), zone_id);
    assert_eq!(get(&zone, "comment"), &s("edge zone"));
    assert_eq!(get(&zone, "tags_all"), &tags(&[("Env", "test"), ("Team", "platform")]));
    assert_no_diff("aws_route53_zone", &zone, &changed);

    // The caller reference is the intent token.
    let found = find(&p, address, "aws_route53_zone", &token(address), planned("aws_route53_zone", &changed)).await.expect("found");
    assert_eq!(id_of(&found), zone_id);
    assert!(find(&p, address, "aws_route53_zone", "tok-other", planned("aws_route53_zone", &changed)).await.is_none());
    let imported = import(&p, "aws_route53_zone.i", "aws_route53_zone", &format!("/hostedzone/{zone_id}")).await.expect("imported");
    assert_eq!(get(&imported, "name"), &s(&zone_name("z0")));
    assert_eq!(get(&imported, "comment"), &s("edge zone"));
    assert_eq!(get(&imported, "force_destroy"), &Value::Bool(false));
    assert_eq!(get(&imported, "name_servers"), get(&zone, "name_servers"));
    let listed = list_ids(&p, "aws_route53_zone").await;
    let entry = listed.iter().find(|(id, _)| *id == zone_id).expect("listed");
    assert_eq!(entry.1.get("strata:intent"), Some(&token(address)));

    for (address, state) in &states {
        support::delete(&p, address, "aws_route53_zone", state.clone()).await;
    }
    support::delete(&p, address, "aws_route53_zone", zone.clone()).await;
    let (read_back, _) = read(&p, "aws_route53_zone", &objects).await;
    assert!(read_back.iter().all(Option::is_none), "deleted");
    assert!(import(&p, "aws_route53_zone.i", "aws_route53_zone", &zone_id).await.is_none());
}

#[tokio::test]
async fn moto_private_zones_follow_their_vpc_blocks() {
    let p = support::provider().await;
    let (a, b) = (network("10.51").await, network("10.52").await);
    let vpc = |id: &str| Value::map([("vpc_id", s(id))]);
    let config = zone_config(&zone_name("private"), &[("vpc", Value::List(vec![vpc(&a.vpc)].into()))]);
    let zone = create(&p, "aws_route53_zone.private", "aws_route53_zone", planned("aws_route53_zone", &config)).await;
    assert_eq!(get(&zone, "vpc.0.vpc_id"), &s(&a.vpc));
    assert_eq!(get(&zone, "vpc.0.vpc_region"), &s("us-east-1"));
    let (read_back, calls) = read(&p, "aws_route53_zone", &[("aws_route53_zone.private", &zone)]).await;
    assert_eq!(read_back[0].as_ref(), Some(&zone));
    assert_eq!(calls, 3, "a private zone adds a GetHostedZone for its VPCs");

    // Move the zone from the first VPC to the second.
    let moved = zone_config(&zone_name("private"), &[("vpc", Value::List(vec![vpc(&b.vpc)].into()))]);
    let zone = update(&p, "aws_route53_zone.private", "aws_route53_zone", zone, planned("aws_route53_zone", &moved)).await;
    assert_eq!(get(&zone, "vpc"), &Value::List(vec![Value::map([("vpc_id", s(&b.vpc)), ("vpc_region", s("us-east-1"))])].into()));
    assert_no_diff("aws_route53_zone", &zone, &moved);
    support::delete(&p, "aws_route53_zone.private", "aws_route53_zone", zone).await;
}

fn record_config(zone: &Value, name: &str, ty: &str, extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut config = vec![("zone_id", s(&id_of(zone))), ("name", s(name)), ("type", s(ty))];
    config.extend(extra.iter().cloned());
    config
}

#[tokio::test]
async fn moto_records_are_upserted_read_per_zone_and_deleted() {
    let p = support::provider().await;
    let zone =
        create(&p, "aws_route53_zone.rec", "aws_route53_zone", planned("aws_route53_zone", &zone_config(&zone_name("rec"), &[]))).await;
    let full = format!("api.{}.", zone_name("rec"));
    let configs = [
        record_config(&zone, "www", "A", &[("ttl", num(300.0)), ("records", strs(&["10.0.0.1", "10.0.0.2"]))]),
        record_config(&zone, "_dmarc", "TXT", &[("ttl", num(60.0)), ("records", strs(&["v=DMARC1; p=none"]))]),
        record_config(&zone, &full, "CNAME", &[("ttl", num(60.0)), ("records", strs(&["www.example.net"]))]),
        record_config(
            &zone,
            "lb",
            "A",
            &[(
                "alias",
                block(&[
                    ("name", s("Web-1.us-east-1.elb.amazonaws.com")),
                    ("zone_id", s("Z35SXDOTRQ7X7K")),
                    ("evaluate_target_health", Value::Bool(true)),
                ]),
            )],
        ),
        record_config(
            &zone,
            "blue",
            "A",
            &[
                ("ttl", num(60.0)),
                ("records", strs(&["10.0.1.1"])),
                ("set_identifier", s("blue")),
                ("weighted_routing_policy", block(&[("weight", num(10.0))])),
            ],
        ),
    ];
    let mut states = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let address = format!("aws_route53_record.r[{i}]");
        states.push((address.clone(), create(&p, &address, "aws_route53_record", planned("aws_route53_record", config)).await));
    }
    let zone_id = id_of(&zone);
    let www = &states[0].1;
    assert_eq!(id_of(www), format!("{zone_id}_www.{}_A", zone_name("rec")));
    assert_eq!(get(www, "fqdn"), &s(&format!("www.{}", zone_name("rec"))));
    assert_eq!(get(www, "name"), &s("www"));
    assert_eq!(get(&states[1].1, "records"), &strs(&["v=DMARC1; p=none"]));
    assert_eq!(get(&states[2].1, "name"), &s(&full));
    assert_eq!(get(&states[2].1, "fqdn"), &s(&format!("api.{}", zone_name("rec"))));
    assert_eq!(get(&states[3].1, "alias.0.name"), &s("Web-1.us-east-1.elb.amazonaws.com"));
    assert_eq!(id_of(&states[4].1), format!("{zone_id}_blue.{}_A_blue", zone_name("rec")));
    for ((_, state), config) in states.iter().zip(&configs) {
        assert_no_diff("aws_route53_record", state, config);
    }

    // One ListResourceRecordSets page for every record of the zone.
    let objects: Vec<(&str, &Value)> = states.iter().map(|(a, v)| (a.as_str(), v)).collect();
    let (read_back, calls) = read(&p, "aws_route53_record", &objects).await;
    assert_eq!(calls, 1);
    for ((_, created), got) in states.iter().zip(&read_back) {
        assert_eq!(got.as_ref(), Some(created));
    }

    // Upsert in place; a new set identifier replaces the record set in one batch.
    let changed = record_config(&zone, "www", "A", &[("ttl", num(60.0)), ("records", strs(&["10.0.0.3"]))]);
    let www = update(&p, "aws_route53_record.r[0]", "aws_route53_record", www.clone(), planned("aws_route53_record", &changed)).await;
    assert_eq!(get(&www, "ttl"), &num(60.0));
    assert_no_diff("aws_route53_record", &www, &changed);
    let green = record_config(
        &zone,
        "blue",
        "A",
        &[
            ("ttl", num(60.0)),
            ("records", strs(&["10.0.1.1"])),
            ("set_identifier", s("green")),
            ("weighted_routing_policy", block(&[("weight", num(20.0))])),
        ],
    );
    let weighted =
        update(&p, "aws_route53_record.r[4]", "aws_route53_record", states[4].1.clone(), planned("aws_route53_record", &green)).await;
    assert_eq!(id_of(&weighted), format!("{zone_id}_blue.{}_A_green", zone_name("rec")));
    let (read_back, _) = read(
        &p,
        "aws_route53_record",
        &[("aws_route53_record.r[0]", &www), ("aws_route53_record.old", &states[4].1), ("aws_route53_record.r[4]", &weighted)],
    )
    .await;
    assert_eq!(read_back[0].as_ref(), Some(&www));
    assert!(read_back[1].is_none(), "the blue record set is gone");
    assert_eq!(read_back[2].as_ref(), Some(&weighted));

    let found =
        find(&p, "aws_route53_record.r[1]", "aws_route53_record", "tok", planned("aws_route53_record", &configs[1])).await.expect("found");
    assert_eq!(id_of(&found), id_of(&states[1].1));
    let imported = import(&p, "aws_route53_record.i", "aws_route53_record", &id_of(&states[1].1)).await.expect("imported");
    assert_eq!(get(&imported, "records"), &strs(&["v=DMARC1; p=none"]));
    assert_eq!(get(&imported, "ttl"), &num(60.0));
    let listed = list_ids(&p, "aws_route53_record").await;
    assert!(listed.iter().any(|(id, _)| *id == id_of(&www)));
    assert!(!listed.iter().any(|(id, _)| id.starts_with(&zone_id) && id.ends_with("_SOA")));

    let (address, txt) = &states[1];
    support::delete(&p, address, "aws_route53_record", txt.clone()).await;
    support::delete(&p, address, "aws_route53_record", txt.clone()).await;
    let (read_back, _) = read(&p, "aws_route53_record", &[(address.as_str(), txt), ("aws_route53_record.r[0]", &www)]).await;
    assert!(read_back[0].is_none(), "deleted");
    assert!(read_back[1].is_some());

    // Records left behind keep the zone from being deleted, unless force_destroy.
    let err = delete_error(&p, "aws_route53_zone.rec", "aws_route53_zone", zone.clone()).await.expect("not empty");
    assert_eq!(err.code.as_deref(), Some("HostedZoneNotEmpty"), "{err:?}");
    let forced = planned("aws_route53_zone", &zone_config(&zone_name("rec"), &[("force_destroy", Value::Bool(true))]));
    let zone = update(&p, "aws_route53_zone.rec", "aws_route53_zone", zone, forced).await;
    support::delete(&p, "aws_route53_zone.rec", "aws_route53_zone", zone.clone()).await;
    assert!(read(&p, "aws_route53_zone", &[("aws_route53_zone.rec", &zone)]).await.0[0].is_none());
    let (read_back, calls) = read(&p, "aws_route53_record", &[("aws_route53_record.r[0]", &www)]).await;
    assert!(read_back[0].is_none(), "records go with their zone");
    assert_eq!(calls, 1);
}
