//! Load balancers, target groups, listeners and target registrations against moto.

use strata_aws::{AwsProvider, Clients};
use strata_core::Value;
use strata_provider::{FindByIntentRequest, ImportRequest, ListRequest, Provider};

use crate::support::{self, addr, create, delete, id_of, planned, read, s, update};

/// Prerequisites made directly through moto's EC2 API (the SDK clients come
/// from strata_aws's public `Clients`, so the tests need no SDK dependency).
pub struct Net {
    pub clients: Clients,
    pub vpc: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

/// A VPC `<prefix>.0.0/16` with two subnets in two zones and two security groups.
pub async fn network(prefix: &str) -> Net {
    let url = support::moto_url();
    let clients = Clients::from_config(&support::provider_config(&url), "test-lineage").await.unwrap();
    let ec2 = &clients.ec2;
    let vpc = ec2.create_vpc().cidr_block(format!("{prefix}.0.0/16")).send().await.unwrap().vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (i, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let r = ec2.create_subnet().vpc_id(&vpc).cidr_block(format!("{prefix}.{i}.0/24")).availability_zone(*zone).send().await.unwrap();
        subnets.push(r.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let mut security_groups = Vec::new();
    for name in ["a", "b"] {
        let group_name = format!("lb-{name}-{prefix}-{}", std::process::id());
        let r = ec2.create_security_group().group_name(group_name).description("strata test").vpc_id(&vpc).send().await.unwrap();
        security_groups.push(r.group_id().unwrap().to_string());
    }
    Net { clients, vpc, subnets, security_groups }
}

/// A running instance in the first subnet.
pub async fn instance(net: &Net) -> String {
    let r = net
        .clients
        .ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type("t2.micro".into())
        .min_count(1)
        .max_count(1)
        .subnet_id(&net.subnets[0])
        .send()
        .await
        .unwrap();
    r.instances()[0].instance_id().unwrap().to_string()
}

pub fn strs(items: &[&str]) -> Value {
    Value::set(items.iter().map(|i| s(i)).collect())
}

pub fn tags(items: &[(&str, &str)]) -> Value {
    Value::map(items.iter().map(|(k, v)| (k.to_string(), s(v))))
}

pub fn num(n: f64) -> Value {
    Value::Number(n)
}

/// A unique name: `<what>-<pid>-<suffix>`, at most 32 characters.
pub fn name(what: &str, suffix: &str) -> String {
    format!("{what}-{}-{suffix}", std::process::id())
}

pub fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, part| match part.parse::<usize>() {
        Ok(i) => &v.as_seq().unwrap_or_else(|| panic!("{part} of {path} in {v:?}"))[i],
        Err(_) => v.as_map().and_then(|m| m.get(part)).unwrap_or_else(|| panic!("{part} of {path} in {v:?}")),
    })
}

pub async fn find(p: &AwsProvider, address: &str, ty: &str, token: &str, planned: Value) -> Option<Value> {
    let r = p.find_by_intent(FindByIntentRequest { addr: addr(address), ty: ty.into(), token: token.into(), planned, orphan: false }).await;
    assert!(r.error.is_none(), "find_by_intent {address}: {:?}", r.error);
    r.found
}

pub async fn import(p: &AwsProvider, address: &str, ty: &str, id: &str) -> Option<Value> {
    let r = p.import(ImportRequest { addr: addr(address), ty: ty.into(), id: id.into() }).await;
    assert!(r.error.is_none(), "import {id}: {:?}", r.error);
    r.state
}

pub async fn list_ids(p: &AwsProvider, ty: &str) -> Vec<(String, std::collections::BTreeMap<String, String>)> {
    let r = p.list(ListRequest { ty: ty.into() }).await;
    assert!(r.error.is_none(), "list {ty}: {:?}", r.error);
    r.objects.into_iter().map(|o| (o.id, o.tags)).collect()
}

pub fn token(address: &str) -> String {
    format!("tok-{address}-{}", std::process::id())
}

/// Plan `config` against `state` as the next run would: nothing may differ.
pub fn assert_no_diff(ty: &str, state: &Value, config: &[(&'static str, Value)]) {
    let schema = strata_provider::aws::schema().resource(ty).unwrap();
    let config = Value::map(config.iter().cloned());
    let change = strata_provider::plan_change(schema, Some(state), &config, &[], false);
    assert!(change.requires_replace.is_empty(), "{ty} would be replaced: {:?}", change.requires_replace);
    let (old, new) = (state.as_map().unwrap(), change.planned.as_map().unwrap());
    for (k, v) in new {
        assert!(!strata_provider::differs(old.get(k), Some(v)), "{ty}.{k} would change from {:?} to {v:?}", old.get(k));
    }
}

fn lb_config(net: &Net, lb_name: &str, extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut config = vec![
        ("name", s(lb_name)),
        ("internal", Value::Bool(true)),
        ("subnets", strs(&[&net.subnets[0], &net.subnets[1]])),
        ("security_groups", strs(&[&net.security_groups[0]])),
        ("tags", tags(&[("Name", lb_name)])),
    ];
    config.extend(extra.iter().cloned());
    config
}

#[tokio::test]
async fn moto_load_balancers_are_created_read_in_one_batch_updated_in_place_and_deleted() {
    let p = support::provider().await;
    let net = network("10.41").await;
    let mut states = Vec::new();
    for i in 0..3 {
        let address = format!("aws_lb.web[{i}]");
        let config = planned("aws_lb", &lb_config(&net, &name("web", &i.to_string()), &[("idle_timeout", num(30.0))]));
        states.push((address.clone(), create(&p, &address, "aws_lb", config).await));
    }
    let (address, lb) = &states[0];
    assert!(id_of(lb).starts_with("arn:aws:elasticloadbalancing:us-east-1:"), "{lb:?}");
    assert_eq!(get(lb, "arn"), get(lb, "id"));
    assert!(get(lb, "arn_suffix").as_str().unwrap().starts_with(&format!("app/{}/", name("web", "0"))));
    assert!(get(lb, "dns_name").as_str().is_some_and(|d| !d.is_empty()));
    assert!(get(lb, "zone_id").as_str().is_some_and(|z| !z.is_empty()));
    assert_eq!(get(lb, "vpc_id"), &s(&net.vpc));
    assert_eq!(get(lb, "internal"), &Value::Bool(true));
    assert_eq!(get(lb, "load_balancer_type"), &s("application"));
    assert_eq!(get(lb, "subnets"), &strs(&[&net.subnets[0], &net.subnets[1]]));
    assert_eq!(get(lb, "tags"), &tags(&[("Name", &name("web", "0"))]));
    assert_eq!(get(lb, "tags_all"), &tags(&[("Name", &name("web", "0")), ("Team", "platform")]));

    // One DescribeLoadBalancers and one DescribeTags for the three.
    let objects: Vec<(&str, &Value)> = states.iter().map(|(a, v)| (a.as_str(), v)).collect();
    let (read_back, calls) = read(&p, "aws_lb", &objects).await;
    assert_eq!(calls, 2);
    for ((_, created), got) in states.iter().zip(&read_back) {
        assert_eq!(got.as_ref(), Some(created));
    }

    // In place: security groups, an attribute, tags.
    let changed = lb_config(
        &net,
        &name("web", "0"),
        &[
            ("idle_timeout", num(120.0)),
            ("security_groups", strs(&[&net.security_groups[1]])),
            ("tags", tags(&[("Name", "renamed"), ("Tier", "web")])),
        ],
    );
    assert_no_diff("aws_lb", &states[1].1, &lb_config(&net, &name("web", "1"), &[("idle_timeout", num(30.0))]));
    let lb = update(&p, address, "aws_lb", lb.clone(), planned("aws_lb", &changed)).await;
    assert_no_diff("aws_lb", &lb, &changed);
    assert_eq!(get(&lb, "id"), get(&states[0].1, "id"), "updated in place");
    assert_eq!(get(&lb, "security_groups"), &strs(&[&net.security_groups[1]]));
    assert_eq!(get(&lb, "tags"), &tags(&[("Name", "renamed"), ("Tier", "web")]));
    // Against the object as first recorded (idle timeout 30), the timeout
    // changed "outside": a batched read keeps the recorded attribute, a deep
    // read (drift's) asks the API, one more call per load balancer.
    let stale = [(address.as_str(), &states[0].1)];
    let (shallow, calls) = read(&p, "aws_lb", &stale).await;
    assert_eq!(calls, 2);
    assert_eq!(get(shallow[0].as_ref().unwrap(), "idle_timeout"), &num(30.0));
    let (deep, calls) = support::read_with(&p, "aws_lb", &stale, true).await;
    assert_eq!(calls, 3, "one DescribeLoadBalancerAttributes more");
    assert_eq!(get(deep[0].as_ref().unwrap(), "idle_timeout"), &num(120.0));
    // Import reads the attributes back from the API.
    let imported = import(&p, "aws_lb.imported", "aws_lb", &id_of(&lb)).await.expect("imported");
    assert_eq!(get(&imported, "idle_timeout"), &num(120.0));
    assert_eq!(get(&imported, "security_groups"), &strs(&[&net.security_groups[1]]));
    assert_eq!(get(&imported, "tags_all"), &tags(&[("Name", "renamed"), ("Team", "platform"), ("Tier", "web")]));
    assert_eq!(get(&imported, "name"), &s(&name("web", "0")));

    // Crash recovery finds the object by its intent tag, with or without the name.
    let found = find(&p, address, "aws_lb", &token(address), planned("aws_lb", &lb_config(&net, &name("web", "0"), &[])))
        .await
        .expect("found by intent");
    assert_eq!(id_of(&found), id_of(&lb));
    assert_eq!(get(&found, "idle_timeout"), &num(120.0));
    let unnamed = planned("aws_lb", &[("subnets", strs(&[&net.subnets[0]]))]);
    let found = find(&p, "aws_lb.web[1]", "aws_lb", &token("aws_lb.web[1]"), unnamed).await.expect("found by intent without a name");
    assert_eq!(id_of(&found), id_of(&states[1].1));
    assert!(find(&p, address, "aws_lb", "tok-unknown", planned("aws_lb", &lb_config(&net, &name("web", "0"), &[]))).await.is_none());

    let listed = list_ids(&p, "aws_lb").await;
    let entry = listed.iter().find(|(id, _)| *id == id_of(&lb)).expect("listed");
    assert_eq!(entry.1.get("strata:address").map(String::as_str), Some("aws_lb.web[0]"));

    // Delete one; the batch read reports it gone and the others still there.
    delete(&p, address, "aws_lb", lb.clone()).await;
    delete(&p, address, "aws_lb", lb.clone()).await;
    let (read_back, _) = read(&p, "aws_lb", &objects).await;
    assert!(read_back[0].is_none(), "deleted");
    assert!(read_back[1].is_some() && read_back[2].is_some());
    assert!(import(&p, "aws_lb.gone", "aws_lb", &id_of(&lb)).await.is_none());
    for (address, state) in &states[1..] {
        delete(&p, address, "aws_lb", state.clone()).await;
    }
}

#[tokio::test]
async fn moto_load_balancer_names_come_from_the_prefix_when_unset() {
    let p = support::provider().await;
    let net = network("10.42").await;
    let config = planned(
        "aws_lb",
        &[("name_prefix", s("nlb-")), ("load_balancer_type", s("network")), ("subnets", strs(&[&net.subnets[0], &net.subnets[1]]))],
    );
    let lb = create(&p, "aws_lb.net", "aws_lb", config).await;
    let lb_name = get(&lb, "name").as_str().unwrap().to_string();
    assert!(lb_name.starts_with("nlb-") && lb_name.len() == 32, "{lb_name}");
    assert_eq!(get(&lb, "load_balancer_type"), &s("network"));
    assert_eq!(get(&lb, "internal"), &Value::Bool(false));
    assert_eq!(get(&lb, "tags"), &Value::Null);
    // moto names every load balancer ARN `app/...`; AWS uses `net/...` here.
    assert!(get(&lb, "arn_suffix").as_str().unwrap().contains(&format!("/{lb_name}/")));
    delete(&p, "aws_lb.net", "aws_lb", lb.clone()).await;
    assert!(read(&p, "aws_lb", &[("aws_lb.net", &lb)]).await.0[0].is_none());
}

fn tg_config(net: &Net, tg_name: &str, extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut config = vec![
        ("name", s(tg_name)),
        ("port", num(80.0)),
        ("protocol", s("HTTP")),
        ("vpc_id", s(&net.vpc)),
        ("tags", tags(&[("Name", tg_name)])),
    ];
    config.extend(extra.iter().cloned());
    config
}

fn health_check(path: &str, interval: f64) -> Value {
    Value::List(
        vec![Value::map([
            ("path", s(path)),
            ("interval", num(interval)),
            ("matcher", s("200-299")),
            ("healthy_threshold", num(2.0)),
            ("unhealthy_threshold", num(4.0)),
            ("timeout", num(5.0)),
        ])]
        .into(),
    )
}

#[tokio::test]
async fn moto_target_groups_are_created_read_in_one_batch_updated_in_place_and_deleted() {
    let p = support::provider().await;
    let net = network("10.43").await;
    let mut states = Vec::new();
    for i in 0..3 {
        let address = format!("aws_lb_target_group.app[{i}]");
        let config = planned(
            "aws_lb_target_group",
            &tg_config(&net, &name("app", &i.to_string()), &[("health_check", health_check("/health", 15.0))]),
        );
        states.push((address.clone(), create(&p, &address, "aws_lb_target_group", config).await));
    }
    let (address, tg) = &states[0];
    assert!(id_of(tg).contains(":targetgroup/"), "{tg:?}");
    assert!(get(tg, "arn_suffix").as_str().unwrap().starts_with(&format!("targetgroup/{}/", name("app", "0"))));
    assert_eq!(get(tg, "port"), &num(80.0));
    assert_eq!(get(tg, "protocol"), &s("HTTP"));
    assert_eq!(get(tg, "target_type"), &s("instance"));
    assert_eq!(get(tg, "health_check.0.path"), &s("/health"));
    assert_eq!(get(tg, "health_check.0.interval"), &num(15.0));
    assert_eq!(get(tg, "health_check.0.matcher"), &s("200-299"));
    assert_eq!(get(tg, "health_check.0.healthy_threshold"), &num(2.0));
    assert_eq!(get(tg, "deregistration_delay"), &s("300"));

    let objects: Vec<(&str, &Value)> = states.iter().map(|(a, v)| (a.as_str(), v)).collect();
    let (read_back, calls) = read(&p, "aws_lb_target_group", &objects).await;
    assert_eq!(calls, 2);
    for ((_, created), got) in states.iter().zip(&read_back) {
        assert_eq!(got.as_ref(), Some(created));
    }

    // In place: the health check, an attribute, stickiness, tags.
    let stickiness =
        Value::List(vec![Value::map([("type", s("lb_cookie")), ("cookie_duration", num(600.0)), ("enabled", Value::Bool(true))])].into());
    let changed = tg_config(
        &net,
        &name("app", "0"),
        &[
            ("health_check", health_check("/ready", 20.0)),
            ("deregistration_delay", s("30")),
            ("stickiness", stickiness),
            ("tags", tags(&[("Tier", "app")])),
        ],
    );
    assert_no_diff(
        "aws_lb_target_group",
        &states[1].1,
        &tg_config(&net, &name("app", "1"), &[("health_check", health_check("/health", 15.0))]),
    );
    let tg = update(&p, address, "aws_lb_target_group", tg.clone(), planned("aws_lb_target_group", &changed)).await;
    assert_no_diff("aws_lb_target_group", &tg, &changed);
    assert_eq!(get(&tg, "health_check.0.path"), &s("/ready"));
    assert_eq!(get(&tg, "health_check.0.interval"), &num(20.0));
    assert_eq!(get(&tg, "tags"), &tags(&[("Tier", "app")]));
    assert_eq!(get(&tg, "tags_all"), &tags(&[("Team", "platform"), ("Tier", "app")]));
    let imported = import(&p, "aws_lb_target_group.imported", "aws_lb_target_group", &id_of(&tg)).await.expect("imported");
    assert_eq!(get(&imported, "deregistration_delay"), &s("30"));
    assert_eq!(get(&imported, "stickiness.0.type"), &s("lb_cookie"));
    assert_eq!(get(&imported, "stickiness.0.enabled"), &Value::Bool(true));
    assert_eq!(get(&imported, "stickiness.0.cookie_duration"), &num(600.0));
    assert_eq!(get(&imported, "health_check.0.path"), &s("/ready"));
    assert_eq!(get(&imported, "tags_all"), get(&tg, "tags_all"));

    // The configured name finds the object in one call; a foreign token does not adopt it.
    let found =
        find(&p, address, "aws_lb_target_group", &token(address), planned("aws_lb_target_group", &tg_config(&net, &name("app", "0"), &[])))
            .await
            .expect("found");
    assert_eq!(id_of(&found), id_of(&tg));
    assert_eq!(get(&found, "deregistration_delay"), &s("30"));
    assert!(
        find(&p, address, "aws_lb_target_group", "tok-other", planned("aws_lb_target_group", &tg_config(&net, &name("app", "0"), &[])))
            .await
            .is_none()
    );
    assert!(
        find(
            &p,
            address,
            "aws_lb_target_group",
            &token(address),
            planned("aws_lb_target_group", &tg_config(&net, &name("app", "nope"), &[]))
        )
        .await
        .is_none()
    );

    assert!(list_ids(&p, "aws_lb_target_group").await.iter().any(|(id, _)| *id == id_of(&tg)));

    delete(&p, address, "aws_lb_target_group", tg.clone()).await;
    delete(&p, address, "aws_lb_target_group", tg.clone()).await;
    let (read_back, _) = read(&p, "aws_lb_target_group", &objects).await;
    assert!(read_back[0].is_none(), "deleted");
    assert!(read_back[1].is_some() && read_back[2].is_some());
    for (address, state) in &states[1..] {
        delete(&p, address, "aws_lb_target_group", state.clone()).await;
    }
}

/// A load balancer and two target groups to hang listeners on.
async fn gateway(p: &AwsProvider, net: &Net, what: &str) -> (Value, Value, Value) {
    let lb = create(p, &format!("aws_lb.{what}"), "aws_lb", planned("aws_lb", &lb_config(net, &name(what, "lb"), &[]))).await;
    let tg1 = create(
        p,
        &format!("aws_lb_target_group.{what}1"),
        "aws_lb_target_group",
        planned("aws_lb_target_group", &tg_config(net, &name(what, "tg1"), &[])),
    )
    .await;
    let tg2 = create(
        p,
        &format!("aws_lb_target_group.{what}2"),
        "aws_lb_target_group",
        planned("aws_lb_target_group", &tg_config(net, &name(what, "tg2"), &[])),
    )
    .await;
    (lb, tg1, tg2)
}

fn block(items: &[(&str, Value)]) -> Value {
    Value::List(vec![Value::map(items.iter().map(|(k, v)| (k.to_string(), v.clone())))].into())
}

fn listener_config(lb: &Value, port: f64, action: Value, extra: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    let mut config = vec![("load_balancer_arn", s(&id_of(lb))), ("port", num(port)), ("protocol", s("HTTP")), ("default_action", action)];
    config.extend(extra.iter().cloned());
    config
}

#[tokio::test]
async fn moto_listeners_are_created_read_in_one_batch_modified_in_place_and_deleted() {
    let p = support::provider().await;
    let net = network("10.44").await;
    let (lb, tg1, tg2) = gateway(&p, &net, "lsn").await;
    let forward = block(&[("type", s("forward")), ("target_group_arn", s(&id_of(&tg1)))]);
    let redirect = block(&[
        ("type", s("redirect")),
        ("redirect", block(&[("status_code", s("HTTP_301")), ("protocol", s("HTTPS")), ("port", s("443"))])),
    ]);
    let fixed = block(&[
        ("type", s("fixed-response")),
        ("fixed_response", block(&[("content_type", s("text/plain")), ("message_body", s("not here")), ("status_code", s("404"))])),
    ]);
    let configs = [
        listener_config(&lb, 80.0, forward, &[("tags", tags(&[("Name", "http")]))]),
        listener_config(&lb, 81.0, redirect, &[]),
        listener_config(&lb, 82.0, fixed, &[]),
    ];
    let mut states = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let address = format!("aws_lb_listener.l[{i}]");
        states.push((address.clone(), create(&p, &address, "aws_lb_listener", planned("aws_lb_listener", config)).await));
    }
    let (address, l) = &states[0];
    assert!(id_of(l).contains(":listener/app/"), "{l:?}");
    assert_eq!(get(l, "port"), &num(80.0));
    assert_eq!(get(l, "protocol"), &s("HTTP"));
    assert_eq!(get(l, "default_action.0.type"), &s("forward"));
    assert_eq!(get(l, "default_action.0.target_group_arn"), &s(&id_of(&tg1)));
    assert_eq!(get(l, "default_action.0.forward"), &Value::List(Vec::new().into()));
    assert_eq!(get(l, "tags"), &tags(&[("Name", "http")]));
    assert_eq!(get(&states[1].1, "default_action.0.redirect.0.status_code"), &s("HTTP_301"));
    assert_eq!(get(&states[1].1, "default_action.0.redirect.0.host"), &s("#{host}"));
    assert_eq!(get(&states[2].1, "default_action.0.fixed_response.0.message_body"), &s("not here"));
    for ((_, state), config) in states.iter().zip(&configs) {
        assert_no_diff("aws_lb_listener", state, config);
    }

    let objects: Vec<(&str, &Value)> = states.iter().map(|(a, v)| (a.as_str(), v)).collect();
    let (read_back, calls) = read(&p, "aws_lb_listener", &objects).await;
    assert_eq!(calls, 2);
    for ((_, created), got) in states.iter().zip(&read_back) {
        assert_eq!(got.as_ref(), Some(created));
    }

    // In place: a weighted forward over both groups, and tags.
    let weighted = block(&[
        ("type", s("forward")),
        (
            "forward",
            block(&[(
                "target_group",
                Value::List(
                    vec![
                        Value::map([("arn", s(&id_of(&tg1))), ("weight", num(1.0))]),
                        Value::map([("arn", s(&id_of(&tg2))), ("weight", num(3.0))]),
                    ]
                    .into(),
                ),
            )]),
        ),
    ]);
    let changed = listener_config(&lb, 80.0, weighted, &[("tags", tags(&[("Name", "weighted")]))]);
    let l = update(&p, address, "aws_lb_listener", l.clone(), planned("aws_lb_listener", &changed)).await;
    assert_eq!(id_of(&l), id_of(&states[0].1));
    assert_eq!(get(&l, "default_action.0.target_group_arn"), &Value::Null);
    assert_eq!(get(&l, "default_action.0.forward.0.target_group.1.arn"), &s(&id_of(&tg2)));
    assert_eq!(get(&l, "default_action.0.forward.0.target_group.1.weight"), &num(3.0));
    assert_eq!(get(&l, "tags"), &tags(&[("Name", "weighted")]));
    assert_no_diff("aws_lb_listener", &l, &changed);

    // Crash recovery: the listener on the planned port of the load balancer.
    let found = find(&p, address, "aws_lb_listener", &token(address), planned("aws_lb_listener", &changed)).await.expect("found");
    assert_eq!(id_of(&found), id_of(&l));
    assert!(
        find(&p, address, "aws_lb_listener", "tok-other", planned("aws_lb_listener", &changed)).await.is_none(),
        "another create's listener"
    );
    let free_port = listener_config(&lb, 8080.0, block(&[("type", s("forward")), ("target_group_arn", s(&id_of(&tg1)))]), &[]);
    assert!(find(&p, "aws_lb_listener.new", "aws_lb_listener", "tok-new", planned("aws_lb_listener", &free_port)).await.is_none());

    let imported = import(&p, "aws_lb_listener.imported", "aws_lb_listener", &id_of(&l)).await.expect("imported");
    assert_eq!(get(&imported, "load_balancer_arn"), &s(&id_of(&lb)));
    assert_eq!(get(&imported, "default_action.0.forward.0.target_group.0.arn"), &s(&id_of(&tg1)));
    assert_eq!(get(&imported, "tags_all"), &tags(&[("Name", "weighted"), ("Team", "platform")]));
    assert!(list_ids(&p, "aws_lb_listener").await.iter().any(|(id, _)| *id == id_of(&l)));

    delete(&p, address, "aws_lb_listener", l.clone()).await;
    delete(&p, address, "aws_lb_listener", l.clone()).await;
    let (read_back, _) = read(&p, "aws_lb_listener", &objects).await;
    assert!(read_back[0].is_none(), "deleted");
    assert!(read_back[1].is_some() && read_back[2].is_some());
    // Deleting the load balancer takes its listeners with it.
    delete(&p, "aws_lb.lsn", "aws_lb", lb).await;
    let (read_back, _) = read(&p, "aws_lb_listener", &objects[1..]).await;
    assert!(read_back.iter().all(Option::is_none));
    delete(&p, "aws_lb_target_group.lsn1", "aws_lb_target_group", tg1).await;
    delete(&p, "aws_lb_target_group.lsn2", "aws_lb_target_group", tg2).await;
}

#[tokio::test]
async fn moto_target_group_attachments_are_registered_read_per_group_and_deregistered() {
    let p = support::provider().await;
    let net = network("10.45").await;
    let tg = create(
        &p,
        "aws_lb_target_group.att",
        "aws_lb_target_group",
        planned("aws_lb_target_group", &tg_config(&net, &name("att", "tg"), &[])),
    )
    .await;
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(instance(&net).await);
    }
    let configs: Vec<Vec<(&'static str, Value)>> = instances
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let mut c = vec![("target_group_arn", s(&id_of(&tg))), ("target_id", s(target))];
            if i == 1 {
                c.push(("port", num(8080.0)));
            }
            c
        })
        .collect();
    let mut states = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let address = format!("aws_lb_target_group_attachment.a[{i}]");
        states.push((
            address.clone(),
            create(&p, &address, "aws_lb_target_group_attachment", planned("aws_lb_target_group_attachment", config)).await,
        ));
    }
    let (address, a) = &states[0];
    assert_eq!(id_of(a), format!("{}-{}", id_of(&tg), instances[0]));
    assert_eq!(get(a, "port"), &Value::Null);
    assert_eq!(get(&states[1].1, "port"), &num(8080.0));
    for ((_, state), config) in states.iter().zip(&configs) {
        assert_no_diff("aws_lb_target_group_attachment", state, config);
    }

    // One DescribeTargetHealth for the group.
    let objects: Vec<(&str, &Value)> = states.iter().map(|(a, v)| (a.as_str(), v)).collect();
    let (read_back, calls) = read(&p, "aws_lb_target_group_attachment", &objects).await;
    assert_eq!(calls, 1);
    for ((_, created), got) in states.iter().zip(&read_back) {
        assert_eq!(got.as_ref(), Some(created));
    }

    let found = find(&p, address, "aws_lb_target_group_attachment", "tok", planned("aws_lb_target_group_attachment", &configs[0]))
        .await
        .expect("found");
    assert_eq!(id_of(&found), id_of(a));
    let imported = import(&p, "aws_lb_target_group_attachment.i", "aws_lb_target_group_attachment", &id_of(a)).await.expect("imported");
    assert_eq!(get(&imported, "target_id"), &s(&instances[0]));
    assert_eq!(get(&imported, "target_group_arn"), &s(&id_of(&tg)));
    let with_port = format!("{},{},8080", id_of(&tg), instances[1]);
    let imported =
        import(&p, "aws_lb_target_group_attachment.j", "aws_lb_target_group_attachment", &with_port).await.expect("imported with a port");
    assert_eq!(get(&imported, "port"), &num(8080.0));
    assert!(list_ids(&p, "aws_lb_target_group_attachment").await.iter().any(|(id, _)| *id == id_of(a)));

    delete(&p, address, "aws_lb_target_group_attachment", a.clone()).await;
    delete(&p, address, "aws_lb_target_group_attachment", a.clone()).await;
    let (read_back, _) = read(&p, "aws_lb_target_group_attachment", &objects).await;
    assert!(read_back[0].is_none(), "deregistered");
    assert!(read_back[1].is_some() && read_back[2].is_some());
    assert!(
        find(&p, address, "aws_lb_target_group_attachment", "tok", planned("aws_lb_target_group_attachment", &configs[0])).await.is_none()
    );

    // A deleted group takes its registrations with it.
    delete(&p, "aws_lb_target_group.att", "aws_lb_target_group", tg).await;
    let (read_back, calls) = read(&p, "aws_lb_target_group_attachment", &objects[1..]).await;
    assert!(read_back.iter().all(Option::is_none));
    assert_eq!(calls, 1);
}
