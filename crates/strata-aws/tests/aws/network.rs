//! The layer 1 EC2 types against moto: VPC networking, key pairs, volumes.

use std::collections::BTreeMap;

use strata_aws::AwsProvider;
use strata_core::Value;
use strata_provider::{FindByIntentRequest, ImportRequest, ListRequest, Provider};

use crate::support::{self, addr, create, delete, id_of, planned, read, s, update};

/// The token `support::create` uses for this address.
fn token(address: &str) -> String {
    format!("tok-{address}-{}", std::process::id())
}

/// A name unique to this test run.
fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

/// An attribute of a state (null when absent).
fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.as_map().and_then(|m| m.get(name)).unwrap_or(&NULL)
}

fn str_of<'a>(v: &'a Value, name: &str) -> &'a str {
    get(v, name).as_str().unwrap_or_default()
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (k.to_string(), s(v))))
}

/// Plan an update of `prior` to `config`, as planning does.
fn replan(ty: &str, prior: &Value, config: &[(&str, Value)]) -> Value {
    let schema = strata_provider::aws::schema().resource(ty).unwrap();
    let config = Value::map(config.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let change = strata_provider::plan_change(schema, Some(prior), &config, &[], false);
    assert!(change.requires_replace.is_empty(), "{ty} update forces replacement: {:?}", change.requires_replace);
    change.planned
}

async fn find(p: &AwsProvider, address: &str, ty: &str, planned: &Value) -> Option<Value> {
    let r = p
        .find_by_intent(FindByIntentRequest {
            addr: addr(address),
            ty: ty.into(),
            token: token(address),
            planned: planned.clone(),
            orphan: false,
        })
        .await;
    assert!(r.error.is_none(), "find_by_intent {address}: {:?}", r.error);
    r.found
}

async fn import(p: &AwsProvider, address: &str, ty: &str, id: &str) -> Option<Value> {
    let r = p.import(ImportRequest { addr: addr(address), ty: ty.into(), id: id.into() }).await;
    assert!(r.error.is_none(), "import {address}: {:?}", r.error);
    r.state
}

/// Every listed object of the type, id → tags.
async fn list(p: &AwsProvider, ty: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let r = p.list(ListRequest { ty: ty.into() }).await;
    assert!(r.error.is_none(), "list {ty}: {:?}", r.error);
    assert!(r.calls >= 1);
    r.objects.into_iter().map(|o| (o.id, o.tags)).collect()
}

/// Read one object back alone.
async fn read_one(p: &AwsProvider, address: &str, ty: &str, state: &Value) -> Option<Value> {
    read(p, ty, &[(address, state)]).await.0.remove(0)
}

async fn vpc(p: &AwsProvider, address: &str, cidr: &str) -> Value {
    create(p, address, "aws_vpc", planned("aws_vpc", &[("cidr_block", s(cidr))])).await
}

#[tokio::test]
async fn moto_vpc_lifecycle() {
    let p = support::provider().await;
    let name = unique("net-vpc");
    let cfg_a = [("cidr_block", s("10.1.0.0/16")), ("enable_dns_hostnames", Value::Bool(true)), ("tags", tags(&[("Name", &name)]))];
    let a = create(&p, "aws_vpc.a", "aws_vpc", planned("aws_vpc", &cfg_a)).await;
    let b = vpc(&p, "aws_vpc.b", "10.2.0.0/16").await;
    let c = vpc(&p, "aws_vpc.c", "10.3.0.0/16").await;

    let id = id_of(&a);
    assert!(id.starts_with("vpc-"), "{a}");
    assert_eq!(str_of(&a, "arn"), format!("arn:aws:ec2:us-east-1:{}:vpc/{id}", str_of(&a, "owner_id")));
    assert_eq!(get(&a, "cidr_block"), &s("10.1.0.0/16"));
    assert_eq!(get(&a, "enable_dns_hostnames"), &Value::Bool(true));
    assert_eq!(get(&a, "enable_dns_support"), &Value::Bool(true));
    assert_eq!(get(&a, "instance_tenancy"), &s("default"));
    assert!(str_of(&a, "main_route_table_id").starts_with("rtb-"), "{a}");
    assert_eq!(get(&a, "default_route_table_id"), get(&a, "main_route_table_id"));
    assert!(str_of(&a, "default_security_group_id").starts_with("sg-"), "{a}");
    assert!(str_of(&a, "default_network_acl_id").starts_with("acl-"), "{a}");
    assert_eq!(get(&a, "tags"), &tags(&[("Name", &name)]));
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", &name), ("Team", "platform")]));
    assert_eq!(get(&b, "tags"), &Value::Null);
    assert_eq!(get(&b, "enable_dns_hostnames"), &Value::Bool(false));

    // One DescribeVpcs for the three; what it reads equals what create returned.
    let (states, calls) = read(&p, "aws_vpc", &[("aws_vpc.a", &a), ("aws_vpc.b", &b), ("aws_vpc.c", &c)]).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Tags and DNS hostnames change in place; strata's own tags stay.
    let cfg_a2 = [("cidr_block", s("10.1.0.0/16")), ("enable_dns_hostnames", Value::Bool(false)), ("tags", tags(&[("Env", "dev")]))];
    let a2 = update(&p, "aws_vpc.a", "aws_vpc", a.clone(), replan("aws_vpc", &a, &cfg_a2)).await;
    assert_eq!(id_of(&a2), id);
    assert_eq!(get(&a2, "tags"), &tags(&[("Env", "dev")]));
    assert_eq!(get(&a2, "tags_all"), &tags(&[("Env", "dev"), ("Team", "platform")]));
    assert_eq!(get(&a2, "enable_dns_hostnames"), &Value::Bool(false));
    let imported = import(&p, "aws_vpc.a", "aws_vpc", &id).await.expect("import finds the VPC");
    assert_eq!(get(&imported, "enable_dns_hostnames"), &Value::Bool(false));
    assert_eq!(get(&imported, "tags_all"), get(&a2, "tags_all"));
    assert_eq!(get(&imported, "main_route_table_id"), get(&a, "main_route_table_id"));
    assert_eq!(get(&imported, "cidr_block"), &s("10.1.0.0/16"));

    // Crash recovery finds each VPC by its intent tag, even after an update.
    let found = find(&p, "aws_vpc.a", "aws_vpc", &replan("aws_vpc", &a, &cfg_a2)).await.expect("found by intent");
    assert_eq!(found, a2);
    assert_eq!(find(&p, "aws_vpc.b", "aws_vpc", &b).await.map(|v| id_of(&v)), Some(id_of(&b)));
    assert_eq!(find(&p, "aws_vpc.nope", "aws_vpc", &b).await, None);

    let listed = list(&p, "aws_vpc").await;
    assert_eq!(listed.get(&id).and_then(|t| t.get("strata:address")).map(String::as_str), Some("aws_vpc.a"));
    assert_eq!(listed.get(&id).and_then(|t| t.get("Env")).map(String::as_str), Some("dev"));
    assert!(listed.contains_key(&id_of(&c)));

    for (address, state) in [("aws_vpc.a", &a2), ("aws_vpc.b", &b), ("aws_vpc.c", &c)] {
        delete(&p, address, "aws_vpc", state.clone()).await;
    }
    let (states, _) = read(&p, "aws_vpc", &[("aws_vpc.a", &a2), ("aws_vpc.b", &b), ("aws_vpc.c", &c)]).await;
    assert_eq!(states, [None, None, None]);
    // Deleting again is a no-op; importing a deleted VPC finds nothing.
    delete(&p, "aws_vpc.a", "aws_vpc", a2.clone()).await;
    assert_eq!(import(&p, "aws_vpc.a", "aws_vpc", &id).await, None);
}

#[tokio::test]
async fn moto_subnet_lifecycle() {
    let p = support::provider().await;
    let v = vpc(&p, "aws_vpc.subnets", "10.10.0.0/16").await;
    let vpc_id = s(&id_of(&v));
    let name = unique("net-subnet");
    let cfg_a = [
        ("vpc_id", vpc_id.clone()),
        ("cidr_block", s("10.10.1.0/24")),
        ("availability_zone", s("us-east-1a")),
        ("map_public_ip_on_launch", Value::Bool(true)),
        ("tags", tags(&[("Name", &name)])),
    ];
    let a = create(&p, "aws_subnet.a", "aws_subnet", planned("aws_subnet", &cfg_a)).await;
    let b =
        create(&p, "aws_subnet.b", "aws_subnet", planned("aws_subnet", &[("vpc_id", vpc_id.clone()), ("cidr_block", s("10.10.2.0/24"))]))
            .await;
    let c =
        create(&p, "aws_subnet.c", "aws_subnet", planned("aws_subnet", &[("vpc_id", vpc_id.clone()), ("cidr_block", s("10.10.3.0/24"))]))
            .await;

    let id = id_of(&a);
    assert!(id.starts_with("subnet-"), "{a}");
    assert_eq!(get(&a, "vpc_id"), &vpc_id);
    assert_eq!(get(&a, "availability_zone"), &s("us-east-1a"));
    assert!(str_of(&a, "availability_zone_id").starts_with("use1-"), "{a}");
    assert!(str_of(&a, "arn").ends_with(&format!(":subnet/{id}")), "{a}");
    assert_eq!(get(&a, "map_public_ip_on_launch"), &Value::Bool(true));
    assert_eq!(get(&b, "map_public_ip_on_launch"), &Value::Bool(false));
    assert!(!str_of(&b, "availability_zone").is_empty(), "AWS picks a zone: {b}");
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", &name), ("Team", "platform")]));

    let (states, calls) = read(&p, "aws_subnet", &[("aws_subnet.a", &a), ("aws_subnet.b", &b), ("aws_subnet.c", &c)]).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    let mut cfg_a2 = cfg_a.clone();
    cfg_a2[3].1 = Value::Bool(false);
    cfg_a2[4].1 = tags(&[("Name", &name), ("Tier", "private")]);
    let a2 = update(&p, "aws_subnet.a", "aws_subnet", a.clone(), replan("aws_subnet", &a, &cfg_a2)).await;
    assert_eq!(get(&a2, "map_public_ip_on_launch"), &Value::Bool(false));
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", &name), ("Tier", "private")]));
    assert_eq!(read_one(&p, "aws_subnet.a", "aws_subnet", &a2).await, Some(a2.clone()));

    let imported = import(&p, "aws_subnet.a", "aws_subnet", &id).await.expect("import finds the subnet");
    assert_eq!(get(&imported, "cidr_block"), &s("10.10.1.0/24"));
    assert_eq!(get(&imported, "map_public_ip_on_launch"), &Value::Bool(false));
    assert_eq!(get(&imported, "tags_all"), get(&a2, "tags_all"));
    assert_eq!(find(&p, "aws_subnet.c", "aws_subnet", &c).await, Some(c.clone()));
    assert_eq!(find(&p, "aws_subnet.nope", "aws_subnet", &c).await, None);
    let listed = list(&p, "aws_subnet").await;
    assert_eq!(listed.get(&id).and_then(|t| t.get("strata:address")).map(String::as_str), Some("aws_subnet.a"));

    for (address, state) in [("aws_subnet.a", &a2), ("aws_subnet.b", &b), ("aws_subnet.c", &c)] {
        delete(&p, address, "aws_subnet", state.clone()).await;
    }
    let (states, _) = read(&p, "aws_subnet", &[("aws_subnet.a", &a2), ("aws_subnet.b", &b), ("aws_subnet.c", &c)]).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_subnet.a", "aws_subnet", a2).await;
    // The VPC has no subnets left, so it can go.
    delete(&p, "aws_vpc.subnets", "aws_vpc", v).await;
}

#[tokio::test]
async fn moto_internet_gateway_lifecycle() {
    let p = support::provider().await;
    let v1 = vpc(&p, "aws_vpc.igw1", "10.20.0.0/16").await;
    let v2 = vpc(&p, "aws_vpc.igw2", "10.21.0.0/16").await;
    let ty = "aws_internet_gateway";
    let cfg_a = [("vpc_id", s(&id_of(&v1))), ("tags", tags(&[("Name", "gw")]))];
    let a = create(&p, "aws_internet_gateway.a", ty, planned(ty, &cfg_a)).await;
    let b = create(&p, "aws_internet_gateway.b", ty, planned(ty, &[])).await;
    let c = create(&p, "aws_internet_gateway.c", ty, planned(ty, &[])).await;
    let id = id_of(&a);
    assert!(id.starts_with("igw-"), "{a}");
    assert_eq!(get(&a, "vpc_id"), &s(&id_of(&v1)));
    assert_eq!(get(&b, "vpc_id"), &Value::Null);
    assert!(str_of(&a, "arn").ends_with(&format!(":internet-gateway/{id}")), "{a}");
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", "gw"), ("Team", "platform")]));

    let objects = [("aws_internet_gateway.a", &a), ("aws_internet_gateway.b", &b), ("aws_internet_gateway.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Moving the gateway to another VPC detaches and attaches in place.
    let cfg_a2 = [("vpc_id", s(&id_of(&v2))), ("tags", tags(&[("Name", "gw2")]))];
    let a2 = update(&p, "aws_internet_gateway.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(id_of(&a2), id);
    assert_eq!(get(&a2, "vpc_id"), &s(&id_of(&v2)));
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", "gw2")]));
    let imported = import(&p, "aws_internet_gateway.a", ty, &id).await.expect("import finds the gateway");
    assert_eq!(get(&imported, "vpc_id"), &s(&id_of(&v2)));
    assert_eq!(find(&p, "aws_internet_gateway.a", ty, &a2).await, Some(a2.clone()));
    assert!(list(&p, ty).await.contains_key(&id_of(&b)));

    // Deleting an attached gateway detaches it first.
    for (address, state) in [("aws_internet_gateway.a", &a2), ("aws_internet_gateway.b", &b), ("aws_internet_gateway.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_internet_gateway.a", ty, a2).await;
    delete(&p, "aws_vpc.igw1", "aws_vpc", v1).await;
    delete(&p, "aws_vpc.igw2", "aws_vpc", v2).await;
}

/// An inline `route` block as planning fills it.
fn route_block(cidr: &str, gateway: &str) -> Value {
    let schema = strata_provider::aws::schema().resource("aws_route_table").unwrap();
    let nested = &schema.block.nested_block("route").unwrap().block;
    Value::map(nested.attributes.keys().map(|k| {
        let v = match k.as_str() {
            "cidr_block" => s(cidr),
            "gateway_id" => s(gateway),
            _ => Value::Null,
        };
        (k.clone(), v)
    }))
}

/// A VPC with an attached internet gateway and two subnets.
async fn network(p: &AwsProvider, name: &str, octet: u8) -> (Value, Value, Value, Value) {
    let v = vpc(p, &format!("aws_vpc.{name}"), &format!("10.{octet}.0.0/16")).await;
    let vpc_id = s(&id_of(&v));
    let gw = create(
        p,
        &format!("aws_internet_gateway.{name}"),
        "aws_internet_gateway",
        planned("aws_internet_gateway", &[("vpc_id", vpc_id.clone())]),
    )
    .await;
    let subnet = |n: u8| planned("aws_subnet", &[("vpc_id", vpc_id.clone()), ("cidr_block", s(&format!("10.{octet}.{n}.0/24")))]);
    let s1 = create(p, &format!("aws_subnet.{name}1"), "aws_subnet", subnet(1)).await;
    let s2 = create(p, &format!("aws_subnet.{name}2"), "aws_subnet", subnet(2)).await;
    (v, gw, s1, s2)
}

async fn destroy_network(p: &AwsProvider, name: &str, (v, gw, s1, s2): (Value, Value, Value, Value)) {
    delete(p, &format!("aws_subnet.{name}1"), "aws_subnet", s1).await;
    delete(p, &format!("aws_subnet.{name}2"), "aws_subnet", s2).await;
    delete(p, &format!("aws_internet_gateway.{name}"), "aws_internet_gateway", gw).await;
    delete(p, &format!("aws_vpc.{name}"), "aws_vpc", v).await;
}

#[tokio::test]
async fn moto_route_table_lifecycle() {
    let p = support::provider().await;
    let net = network(&p, "rt", 30).await;
    let (vpc_id, igw) = (s(&id_of(&net.0)), id_of(&net.1));
    let ty = "aws_route_table";
    let cfg_a = [
        ("vpc_id", vpc_id.clone()),
        ("route", Value::List(vec![route_block("0.0.0.0/0", &igw)].into())),
        ("tags", tags(&[("Name", "public")])),
    ];
    let a = create(&p, "aws_route_table.a", ty, planned(ty, &cfg_a)).await;
    let b = create(&p, "aws_route_table.b", ty, planned(ty, &[("vpc_id", vpc_id.clone())])).await;
    let c = create(&p, "aws_route_table.c", ty, planned(ty, &[("vpc_id", vpc_id.clone())])).await;
    let id = id_of(&a);
    assert!(id.starts_with("rtb-"), "{a}");
    assert_eq!(get(&a, "route"), &Value::List(vec![route_block("0.0.0.0/0", &igw)].into()));
    assert_eq!(get(&b, "route"), &Value::List(vec![].into()), "the local route is not a route block");
    assert_eq!(get(&a, "vpc_id"), &vpc_id);
    assert!(str_of(&a, "arn").ends_with(&format!(":route-table/{id}")), "{a}");
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", "public"), ("Team", "platform")]));

    let objects = [("aws_route_table.a", &a), ("aws_route_table.b", &b), ("aws_route_table.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Updating the routes deletes the dropped one and creates the new ones.
    let routes = Value::List(vec![route_block("10.99.0.0/16", &igw), route_block("192.168.0.0/16", &igw)].into());
    let cfg_a2 = [("vpc_id", vpc_id.clone()), ("route", routes.clone()), ("tags", tags(&[("Name", "public2")]))];
    let a2 = update(&p, "aws_route_table.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(get(&a2, "route"), &routes);
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", "public2")]));
    assert_eq!(read_one(&p, "aws_route_table.a", ty, &a2).await, Some(a2.clone()));
    let imported = import(&p, "aws_route_table.a", ty, &id).await.expect("import finds the table");
    let mut dests: Vec<&str> = imported.as_map().unwrap()["route"].as_seq().unwrap().iter().map(|r| str_of(r, "cidr_block")).collect();
    dests.sort();
    assert_eq!(dests, ["10.99.0.0/16", "192.168.0.0/16"]);
    assert_eq!(find(&p, "aws_route_table.a", ty, &replan(ty, &a, &cfg_a2)).await, Some(a2.clone()));
    assert!(list(&p, ty).await.contains_key(&id_of(&c)));

    // Associations: one call reads three; moving one to another table gives it a new id.
    let aty = "aws_route_table_association";
    let assoc = |subnet: &Value, table: &Value| planned(aty, &[("subnet_id", s(&id_of(subnet))), ("route_table_id", s(&id_of(table)))]);
    let subnet3 =
        create(&p, "aws_subnet.rt3", "aws_subnet", planned("aws_subnet", &[("vpc_id", vpc_id.clone()), ("cidr_block", s("10.30.3.0/24"))]))
            .await;
    let x = create(&p, "aws_route_table_association.x", aty, assoc(&net.2, &a2)).await;
    let y = create(&p, "aws_route_table_association.y", aty, assoc(&net.3, &b)).await;
    let z = create(&p, "aws_route_table_association.z", aty, assoc(&subnet3, &a2)).await;
    assert!(id_of(&x).starts_with("rtbassoc-"), "{x}");
    assert_eq!(get(&x, "subnet_id"), &s(&id_of(&net.2)));
    assert_eq!(get(&x, "route_table_id"), &s(&id));
    let assocs = [("aws_route_table_association.x", &x), ("aws_route_table_association.y", &y), ("aws_route_table_association.z", &z)];
    let (states, calls) = read(&p, aty, &assocs).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(x.clone()), Some(y.clone()), Some(z.clone())]);

    let cfg_x2 = [("subnet_id", s(&id_of(&net.2))), ("route_table_id", s(&id_of(&c)))];
    let x2 = update(&p, "aws_route_table_association.x", aty, x.clone(), replan(aty, &x, &cfg_x2)).await;
    assert_ne!(id_of(&x2), id_of(&x));
    assert_eq!(get(&x2, "route_table_id"), &s(&id_of(&c)));
    assert_eq!(read_one(&p, "aws_route_table_association.x", aty, &x).await, None, "the old association is gone");
    assert_eq!(read_one(&p, "aws_route_table_association.x", aty, &x2).await, Some(x2.clone()));
    let planned_x2 = replan(aty, &x, &cfg_x2);
    assert_eq!(find(&p, "aws_route_table_association.x", aty, &planned_x2).await.map(|v| id_of(&v)), Some(id_of(&x2)));
    assert_eq!(find(&p, "aws_route_table_association.y", aty, &assoc(&net.2, &b)).await, None, "no such pair");
    let by_pair = import(&p, "aws_route_table_association.x", aty, &format!("{}/{}", id_of(&net.2), id_of(&c))).await;
    assert_eq!(by_pair.map(|v| id_of(&v)), Some(id_of(&x2)));
    let by_id = import(&p, "aws_route_table_association.y", aty, &id_of(&y)).await.expect("import by association id");
    assert_eq!(get(&by_id, "subnet_id"), &s(&id_of(&net.3)));
    assert!(list(&p, aty).await.contains_key(&id_of(&z)));
    for (address, state) in
        [("aws_route_table_association.x", &x2), ("aws_route_table_association.y", &y), ("aws_route_table_association.z", &z)]
    {
        delete(&p, address, aty, state.clone()).await;
    }
    let (states, _) = read(
        &p,
        aty,
        &[("aws_route_table_association.x", &x2), ("aws_route_table_association.y", &y), ("aws_route_table_association.z", &z)],
    )
    .await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_route_table_association.y", aty, y).await;

    for (address, state) in [("aws_route_table.a", &a2), ("aws_route_table.b", &b), ("aws_route_table.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_subnet.rt3", "aws_subnet", subnet3).await;
    destroy_network(&p, "rt", net).await;
}

#[tokio::test]
async fn moto_route_lifecycle() {
    let p = support::provider().await;
    let net = network(&p, "routes", 31).await;
    let igw = id_of(&net.1);
    let table = create(&p, "aws_route_table.routes", "aws_route_table", planned("aws_route_table", &[("vpc_id", s(&id_of(&net.0)))])).await;
    let rtb = id_of(&table);
    let ty = "aws_route";
    let route = |cidr: &str| planned(ty, &[("route_table_id", s(&rtb)), ("destination_cidr_block", s(cidr)), ("gateway_id", s(&igw))]);
    let a = create(&p, "aws_route.a", ty, route("0.0.0.0/0")).await;
    let b = create(&p, "aws_route.b", ty, route("10.50.0.0/16")).await;
    let c = create(&p, "aws_route.c", ty, route("10.51.0.0/16")).await;
    assert_eq!(id_of(&a), format!("r-{rtb}1080289494"));
    assert_eq!(get(&a, "gateway_id"), &s(&igw));
    assert_eq!(get(&a, "origin"), &s("CreateRoute"));
    assert_eq!(get(&a, "state"), &s("active"));

    let objects = [("aws_route.a", &a), ("aws_route.b", &b), ("aws_route.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    assert_eq!(find(&p, "aws_route.b", ty, &route("10.50.0.0/16")).await, Some(b.clone()));
    assert_eq!(find(&p, "aws_route.x", ty, &route("10.52.0.0/16")).await, None);
    let imported = import(&p, "aws_route.a", ty, &format!("{rtb}_0.0.0.0/0")).await.expect("import finds the route");
    assert_eq!(id_of(&imported), id_of(&a));
    assert_eq!(get(&imported, "gateway_id"), &s(&igw));
    assert_eq!(get(&imported, "route_table_id"), &s(&rtb));
    let r = p.import(ImportRequest { addr: addr("aws_route.a"), ty: ty.into(), id: "nonsense".into() }).await;
    assert!(r.error.is_some_and(|e| e.message.contains("<route table id>_<destination>")));
    let listed = list(&p, ty).await;
    assert!(listed.contains_key(&id_of(&b)) && listed.contains_key(&id_of(&c)));

    for (address, state) in objects {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_route.a", ty, a).await;
    delete(&p, "aws_route_table.routes", "aws_route_table", table).await;
    destroy_network(&p, "routes", net).await;
}

/// An inline rule block (planning fills in the rest).
fn rule(protocol: &str, from: i32, to: i32, extra: &[(&str, Value)]) -> Value {
    let mut m = vec![("protocol", s(protocol)), ("from_port", Value::Number(f64::from(from))), ("to_port", Value::Number(f64::from(to)))];
    m.extend(extra.iter().cloned());
    Value::map(m)
}

fn cidrs(list: &[&str]) -> Value {
    Value::List(list.iter().map(|c| s(c)).collect())
}

#[tokio::test]
async fn moto_security_group_lifecycle() {
    let p = support::provider().await;
    let v = vpc(&p, "aws_vpc.sg", "10.40.0.0/16").await;
    let vpc_id = s(&id_of(&v));
    let ty = "aws_security_group";
    let name = unique("net-sg-web");
    let ingress_a = Value::List(
        vec![
            rule("tcp", 443, 443, &[("cidr_blocks", cidrs(&["10.0.0.0/8"])), ("description", s("https"))]),
            rule("tcp", 22, 22, &[("cidr_blocks", cidrs(&["1.2.3.4/32", "5.6.7.8/32"]))]),
        ]
        .into(),
    );
    let cfg_a = [
        ("name", s(&name)),
        ("description", s("web")),
        ("vpc_id", vpc_id.clone()),
        ("ingress", ingress_a),
        ("tags", tags(&[("Name", "web")])),
    ];
    let plan_a = planned(ty, &cfg_a);
    let a = create(&p, "aws_security_group.a", ty, plan_a.clone()).await;
    let egress_b = Value::List(vec![rule("tcp", 443, 443, &[("cidr_blocks", cidrs(&["0.0.0.0/0"]))])].into());
    let plan_b = planned(ty, &[("name", s(&unique("net-sg-b"))), ("vpc_id", vpc_id.clone()), ("egress", egress_b)]);
    let b = create(&p, "aws_security_group.b", ty, plan_b.clone()).await;
    let plan_c = planned(
        ty,
        &[
            ("name_prefix", s("net-sg-c-")),
            ("vpc_id", vpc_id.clone()),
            ("ingress", Value::List(vec![rule("tcp", 0, 65535, &[("self", Value::Bool(true))])].into())),
        ],
    );
    let c = create(&p, "aws_security_group.c", ty, plan_c.clone()).await;

    let id = id_of(&a);
    assert!(id.starts_with("sg-"), "{a}");
    assert_eq!(get(&a, "name"), &s(&name));
    assert_eq!(get(&a, "description"), &s("web"));
    assert_eq!(get(&a, "vpc_id"), &vpc_id);
    assert!(str_of(&a, "arn").ends_with(&format!(":security-group/{id}")), "{a}");
    assert_eq!(get(&a, "ingress"), get(&plan_a, "ingress"));
    assert_eq!(get(&a, "egress"), &Value::List(vec![].into()), "the default egress is left alone and not reported");
    assert_eq!(get(&b, "egress"), get(&plan_b, "egress"), "configured egress replaces the default");
    assert_eq!(get(&b, "description"), &s("Managed by Terraform"));
    assert!(str_of(&c, "name").starts_with("net-sg-c-"), "{c}");
    assert_eq!(get(&c, "ingress"), get(&plan_c, "ingress"));

    let objects = [("aws_security_group.a", &a), ("aws_security_group.b", &b), ("aws_security_group.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Rules are diffed: a new description, one rule dropped, one added; egress now configured.
    let ingress_a2 = Value::List(
        vec![
            rule("udp", 53, 53, &[("cidr_blocks", cidrs(&["10.0.0.0/8"]))]),
            rule("tcp", 443, 443, &[("cidr_blocks", cidrs(&["10.0.0.0/8"])), ("description", s("tls"))]),
        ]
        .into(),
    );
    let egress_a2 = Value::List(vec![rule("tcp", 80, 80, &[("cidr_blocks", cidrs(&["0.0.0.0/0"]))])].into());
    let mut cfg_a2 = cfg_a.to_vec();
    cfg_a2[3].1 = ingress_a2;
    cfg_a2[4].1 = tags(&[("Name", "web2")]);
    cfg_a2.push(("egress", egress_a2));
    let plan_a2 = replan(ty, &a, &cfg_a2);
    let a2 = update(&p, "aws_security_group.a", ty, a.clone(), plan_a2.clone()).await;
    assert_eq!(get(&a2, "ingress"), get(&plan_a2, "ingress"));
    assert_eq!(get(&a2, "egress"), get(&plan_a2, "egress"));
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", "web2")]));
    assert_eq!(read_one(&p, "aws_security_group.a", ty, &a2).await, Some(a2.clone()));

    // A rule added outside the configuration shows up as drift, grouped.
    let extra = create(
        &p,
        "aws_security_group_rule.extra",
        "aws_security_group_rule",
        planned(
            "aws_security_group_rule",
            &[
                ("type", s("ingress")),
                ("security_group_id", s(&id)),
                ("protocol", s("tcp")),
                ("from_port", Value::Number(8080.0)),
                ("to_port", Value::Number(8080.0)),
                ("cidr_blocks", cidrs(&["10.1.0.0/16", "10.2.0.0/16"])),
            ],
        ),
    )
    .await;
    let drifted = read_one(&p, "aws_security_group.a", ty, &a2).await.expect("still there");
    let ingress = get(&drifted, "ingress").as_seq().unwrap();
    assert_eq!(ingress.len(), 3, "{drifted}");
    assert_eq!(&ingress[..2], get(&plan_a2, "ingress").as_seq().unwrap());
    assert_eq!(get(&ingress[2], "cidr_blocks"), &cidrs(&["10.1.0.0/16", "10.2.0.0/16"]));
    assert_eq!(get(&ingress[2], "from_port"), &Value::Number(8080.0));
    // The next update revokes it.
    let a3 = update(&p, "aws_security_group.a", ty, drifted, plan_a2.clone()).await;
    assert_eq!(get(&a3, "ingress"), get(&plan_a2, "ingress"));
    assert_eq!(read_one(&p, "aws_security_group_rule.extra", "aws_security_group_rule", &extra).await, None);

    // Left out, `egress` is computed: planning keeps the recorded rules.
    let cfg_kept: Vec<_> = cfg_a2.iter().filter(|(k, _)| *k != "egress").cloned().collect();
    assert_eq!(get(&replan(ty, &a3, &cfg_kept), "egress"), get(&a3, "egress"));
    // `egress = []` removes every configured rule, and the default comes back.
    let mut cfg_a4: Vec<_> = cfg_kept.clone();
    cfg_a4.push(("egress", Value::List(vec![].into())));
    let a4 = update(&p, "aws_security_group.a", ty, a3.clone(), replan(ty, &a3, &cfg_a4)).await;
    assert_eq!(get(&a4, "egress"), &Value::List(vec![].into()));
    let default_egress = planned(
        "aws_security_group_rule",
        &[
            ("type", s("egress")),
            ("security_group_id", s(&id)),
            ("protocol", s("-1")),
            ("from_port", Value::Number(0.0)),
            ("to_port", Value::Number(0.0)),
            ("cidr_blocks", cidrs(&["0.0.0.0/0"])),
        ],
    );
    assert!(
        find(&p, "aws_security_group_rule.default", "aws_security_group_rule", &default_egress).await.is_some(),
        "allow-all egress restored"
    );

    let imported = import(&p, "aws_security_group.b", ty, &id_of(&b)).await.expect("import finds the group");
    let egress = get(&imported, "egress").as_seq().unwrap();
    assert_eq!(egress.len(), 1, "{imported}");
    assert_eq!(get(&egress[0], "cidr_blocks"), &cidrs(&["0.0.0.0/0"]));
    assert_eq!(get(&egress[0], "protocol"), &s("tcp"));
    assert_eq!(get(&egress[0], "self"), &Value::Bool(false));
    assert_eq!(find(&p, "aws_security_group.c", ty, &plan_c).await, Some(c.clone()));
    assert!(list(&p, ty).await.contains_key(&id));

    for (address, state) in [("aws_security_group.a", &a4), ("aws_security_group.b", &b), ("aws_security_group.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_security_group.c", ty, c).await;
    delete(&p, "aws_vpc.sg", "aws_vpc", v).await;
}

#[tokio::test]
async fn moto_security_group_rule_lifecycle() {
    let p = support::provider().await;
    let v = vpc(&p, "aws_vpc.sgr", "10.41.0.0/16").await;
    let group = |name: &str| planned("aws_security_group", &[("name", s(&unique(name))), ("vpc_id", s(&id_of(&v)))]);
    let sg = create(&p, "aws_security_group.target", "aws_security_group", group("net-sgr-target")).await;
    let src = create(&p, "aws_security_group.source", "aws_security_group", group("net-sgr-source")).await;
    let (sg_id, src_id) = (id_of(&sg), id_of(&src));
    let ty = "aws_security_group_rule";
    fn rule_cfg<'a>(sg_id: &str, kind: &str, proto: &str, port: i32, extra: &[(&'a str, Value)]) -> Vec<(&'a str, Value)> {
        let mut cfg = vec![
            ("type", s(kind)),
            ("security_group_id", s(sg_id)),
            ("protocol", s(proto)),
            ("from_port", Value::Number(f64::from(port))),
            ("to_port", Value::Number(f64::from(port))),
        ];
        cfg.extend(extra.iter().cloned());
        cfg
    }
    let cfg_a =
        rule_cfg(&sg_id, "ingress", "tcp", 80, &[("cidr_blocks", cidrs(&["10.0.0.0/8", "192.168.0.0/16"])), ("description", s("web"))]);
    let a = create(&p, "aws_security_group_rule.a", ty, planned(ty, &cfg_a)).await;
    let plan_b = planned(ty, &rule_cfg(&sg_id, "ingress", "tcp", 5432, &[("source_security_group_id", s(&src_id))]));
    let b = create(&p, "aws_security_group_rule.b", ty, plan_b.clone()).await;
    let c =
        create(&p, "aws_security_group_rule.c", ty, planned(ty, &rule_cfg(&sg_id, "egress", "tcp", 443, &[("self", Value::Bool(true))])))
            .await;
    assert!(id_of(&a).starts_with("sgrule-"), "{a}");
    assert_ne!(id_of(&a), id_of(&b));
    assert_eq!(get(&a, "description"), &s("web"));
    assert_eq!(get(&a, "security_group_rule_id"), &Value::Null, "two sources make two AWS rules");
    assert!(str_of(&b, "security_group_rule_id").starts_with("sgr-"), "{b}");
    assert_eq!(get(&b, "source_security_group_id"), &s(&src_id));
    assert_eq!(get(&c, "self"), &Value::Bool(true));

    // The default egress rule exists already: a duplicate is AWS's error, explained.
    let dup = planned(ty, &rule_cfg(&sg_id, "egress", "-1", 0, &[("cidr_blocks", cidrs(&["0.0.0.0/0"]))]));
    let req = strata_provider::ApplyRequest {
        addr: addr("aws_security_group_rule.dup"),
        ty: ty.into(),
        action: strata_provider::ApplyAction::Create,
        prior: None,
        planned: dup,
        token: Some(token("aws_security_group_rule.dup")),
        timeouts: Default::default(),
    };
    let err = p.apply(req).await.error.expect("a duplicate rule fails");
    assert_eq!(err.code.as_deref(), Some("InvalidPermission.Duplicate"));
    assert!(err.message.contains("already has it"), "{}", err.message);

    let objects = [("aws_security_group_rule.a", &a), ("aws_security_group_rule.b", &b), ("aws_security_group_rule.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // The description changes in place.
    let mut cfg_a2 = cfg_a.clone();
    cfg_a2[6].1 = s("web2");
    let a2 = update(&p, "aws_security_group_rule.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(get(&a2, "description"), &s("web2"));
    assert_eq!(read_one(&p, "aws_security_group_rule.a", ty, &a2).await, Some(a2.clone()));

    // Half of `a` revoked outside strata: the read reports the half left.
    let half = planned(ty, &rule_cfg(&sg_id, "ingress", "tcp", 80, &[("cidr_blocks", cidrs(&["192.168.0.0/16"]))]));
    delete(&p, "aws_security_group_rule.half", ty, half).await;
    let partial = read_one(&p, "aws_security_group_rule.a", ty, &a2).await.expect("half is left");
    assert_eq!(get(&partial, "cidr_blocks"), &cidrs(&["10.0.0.0/8"]));

    assert_eq!(find(&p, "aws_security_group_rule.b", ty, &plan_b).await, Some(b.clone()));
    let imported = import(&p, "aws_security_group_rule.b", ty, &format!("{sg_id}_ingress_tcp_5432_5432_{src_id}"))
        .await
        .expect("import finds the rule");
    assert_eq!(get(&imported, "source_security_group_id"), &s(&src_id));
    assert_eq!(get(&imported, "type"), &s("ingress"));
    assert_eq!(import(&p, "aws_security_group_rule.x", ty, &format!("{sg_id}_ingress_tcp_5433_5433_{src_id}")).await, None);
    assert!(list(&p, ty).await.contains_key(&id_of(&b)));

    for (address, state) in [("aws_security_group_rule.a", &partial), ("aws_security_group_rule.b", &b), ("aws_security_group_rule.c", &c)]
    {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_security_group_rule.b", ty, b).await;
    delete(&p, "aws_security_group.target", "aws_security_group", sg).await;
    delete(&p, "aws_security_group.source", "aws_security_group", src).await;
    delete(&p, "aws_vpc.sgr", "aws_vpc", v).await;
}

/// SDK clients on moto, for what the tests need outside this module's types.
async fn clients() -> strata_aws::Clients {
    let url = support::moto_url();
    strata_aws::Clients::from_config(&support::provider_config(&url), "test-lineage").await.unwrap()
}

/// A running instance in the subnet (made with the SDK: aws_instance is not this module's).
async fn run_instance(subnet: &str) -> String {
    let c = clients().await;
    let out = c
        .ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type("t3.micro".into())
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet)
        .send()
        .await
        .unwrap();
    out.instances()[0].instance_id().unwrap().to_string()
}

async fn terminate(instance: &str) {
    clients().await.ec2.terminate_instances().instance_ids(instance).send().await.unwrap();
}

#[tokio::test]
async fn moto_eip_lifecycle() {
    let p = support::provider().await;
    let ty = "aws_eip";
    let a = create(&p, "aws_eip.a", ty, planned(ty, &[("domain", s("vpc")), ("tags", tags(&[("Name", "ip")]))])).await;
    let b = create(&p, "aws_eip.b", ty, planned(ty, &[("domain", s("vpc"))])).await;
    let c = create(&p, "aws_eip.c", ty, planned(ty, &[])).await;
    let id = id_of(&a);
    assert!(id.starts_with("eipalloc-"), "{a}");
    assert_eq!(get(&a, "allocation_id"), &s(&id));
    assert_eq!(get(&a, "domain"), &s("vpc"));
    assert_eq!(get(&c, "domain"), &s("vpc"), "VPC addresses by default");
    assert_eq!(get(&a, "vpc"), &Value::Bool(true));
    let ip = str_of(&a, "public_ip").to_string();
    assert_eq!(ip.split('.').count(), 4, "{a}");
    assert_eq!(get(&a, "public_dns"), &s(&format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))));
    assert!(str_of(&a, "arn").starts_with("arn:aws:ec2:us-east-1:") && str_of(&a, "arn").ends_with(&format!(":elastic-ip/{id}")), "{a}");
    assert_eq!(get(&a, "association_id"), &Value::Null);
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", "ip"), ("Team", "platform")]));

    let objects = [("aws_eip.a", &a), ("aws_eip.b", &b), ("aws_eip.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Associating with an instance happens in place.
    let v = vpc(&p, "aws_vpc.eip", "10.50.0.0/16").await;
    let subnet =
        create(&p, "aws_subnet.eip", "aws_subnet", planned("aws_subnet", &[("vpc_id", s(&id_of(&v))), ("cidr_block", s("10.50.1.0/24"))]))
            .await;
    let instance = run_instance(&id_of(&subnet)).await;
    let cfg_a2 = [("domain", s("vpc")), ("instance", s(&instance)), ("tags", tags(&[("Name", "ip2")]))];
    let a2 = update(&p, "aws_eip.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(get(&a2, "instance"), &s(&instance));
    assert!(str_of(&a2, "association_id").starts_with("eipassoc-"), "{a2}");
    assert!(str_of(&a2, "private_ip").starts_with("10.50.1."), "{a2}");
    assert_eq!(get(&a2, "public_ip"), &s(&ip), "the address stays");
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", "ip2")]));
    assert_eq!(read_one(&p, "aws_eip.a", ty, &a2).await, Some(a2.clone()));
    let imported = import(&p, "aws_eip.a", ty, &id).await.expect("import finds the address");
    assert_eq!(get(&imported, "instance"), &s(&instance));
    assert_eq!(get(&imported, "arn"), get(&a, "arn"));
    assert_eq!(find(&p, "aws_eip.b", ty, &b).await, Some(b.clone()));
    assert!(list(&p, ty).await.contains_key(&id_of(&c)));

    // Deleting an associated address disassociates it first.
    for (address, state) in [("aws_eip.a", &a2), ("aws_eip.b", &b), ("aws_eip.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_eip.a", ty, a2).await;
    terminate(&instance).await;
    delete(&p, "aws_subnet.eip", "aws_subnet", subnet).await;
    delete(&p, "aws_vpc.eip", "aws_vpc", v).await;
}

#[tokio::test]
async fn moto_nat_gateway_lifecycle() {
    let p = support::provider().await;
    let net = network(&p, "nat", 51).await;
    let subnet = s(&id_of(&net.2));
    let eip = create(&p, "aws_eip.nat", "aws_eip", planned("aws_eip", &[("domain", s("vpc"))])).await;
    let ty = "aws_nat_gateway";
    let cfg_a = [("subnet_id", subnet.clone()), ("allocation_id", s(&id_of(&eip))), ("tags", tags(&[("Name", "nat")]))];
    let a = create(&p, "aws_nat_gateway.a", ty, planned(ty, &cfg_a)).await;
    let private = planned(ty, &[("subnet_id", subnet.clone()), ("connectivity_type", s("private"))]);
    let b = create(&p, "aws_nat_gateway.b", ty, private.clone()).await;
    let c = create(&p, "aws_nat_gateway.c", ty, private.clone()).await;
    let id = id_of(&a);
    assert!(id.starts_with("nat-"), "{a}");
    assert_eq!(get(&a, "public_ip"), get(&eip, "public_ip"));
    assert_eq!(get(&a, "allocation_id"), &s(&id_of(&eip)));
    assert_eq!(get(&a, "connectivity_type"), &s("public"));
    assert!(str_of(&a, "network_interface_id").starts_with("eni-"), "{a}");
    assert!(str_of(&a, "private_ip").contains('.'), "{a}");
    assert_eq!(get(&b, "connectivity_type"), &s("private"));
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", "nat"), ("Team", "platform")]));

    let objects = [("aws_nat_gateway.a", &a), ("aws_nat_gateway.b", &b), ("aws_nat_gateway.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    let mut cfg_a2 = cfg_a.clone();
    cfg_a2[2].1 = tags(&[("Name", "nat2")]);
    let a2 = update(&p, "aws_nat_gateway.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", "nat2")]));
    assert_eq!(read_one(&p, "aws_nat_gateway.a", ty, &a2).await, Some(a2.clone()));

    // Found by its own intent tag, not just any gateway.
    assert_eq!(find(&p, "aws_nat_gateway.c", ty, &private).await, Some(c.clone()));
    assert_eq!(find(&p, "aws_nat_gateway.nope", ty, &private).await, None);
    let imported = import(&p, "aws_nat_gateway.a", ty, &id).await.expect("import finds the gateway");
    assert_eq!(get(&imported, "subnet_id"), &subnet);
    assert_eq!(get(&imported, "public_ip"), get(&eip, "public_ip"));
    assert!(list(&p, ty).await.contains_key(&id_of(&b)));

    // A route through the NAT gateway, then switched to the internet gateway in place.
    let table = create(&p, "aws_route_table.nat", "aws_route_table", planned("aws_route_table", &[("vpc_id", s(&id_of(&net.0)))])).await;
    let rty = "aws_route";
    let via_nat = [("route_table_id", s(&id_of(&table))), ("destination_cidr_block", s("0.0.0.0/0")), ("nat_gateway_id", s(&id))];
    let route = create(&p, "aws_route.nat", rty, planned(rty, &via_nat)).await;
    assert_eq!(get(&route, "nat_gateway_id"), &s(&id));
    let via_igw = [("route_table_id", s(&id_of(&table))), ("destination_cidr_block", s("0.0.0.0/0")), ("gateway_id", s(&id_of(&net.1)))];
    let route2 = update(&p, "aws_route.nat", rty, route.clone(), replan(rty, &route, &via_igw)).await;
    assert_eq!(id_of(&route2), id_of(&route));
    assert_eq!(get(&route2, "gateway_id"), &s(&id_of(&net.1)));
    assert_eq!(get(&route2, "nat_gateway_id"), &Value::Null);
    assert_eq!(read_one(&p, "aws_route.nat", rty, &route2).await, Some(route2.clone()));
    delete(&p, "aws_route.nat", rty, route2).await;
    delete(&p, "aws_route_table.nat", "aws_route_table", table).await;

    for (address, state) in [("aws_nat_gateway.a", &a2), ("aws_nat_gateway.b", &b), ("aws_nat_gateway.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None], "deleted gateways read as gone");
    delete(&p, "aws_nat_gateway.a", ty, a2).await;
    delete(&p, "aws_eip.nat", "aws_eip", eip).await;
    destroy_network(&p, "nat", net).await;
}

const PUBLIC_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPctwxveHsqXJxLDbsw+zZixT9SA3p+Gx8SDjh3gvGHB strata-test";

#[tokio::test]
async fn moto_key_pair_lifecycle() {
    let p = support::provider().await;
    let ty = "aws_key_pair";
    let name = unique("net-kp-a");
    let cfg_a = [("key_name", s(&name)), ("public_key", s(PUBLIC_KEY)), ("tags", tags(&[("Name", "deploy")]))];
    let a = create(&p, "aws_key_pair.a", ty, planned(ty, &cfg_a)).await;
    let b = create(&p, "aws_key_pair.b", ty, planned(ty, &[("key_name_prefix", s("net-kp-b-")), ("public_key", s(PUBLIC_KEY))])).await;
    let c = create(&p, "aws_key_pair.c", ty, planned(ty, &[("key_name", s(&unique("net-kp-c"))), ("public_key", s(PUBLIC_KEY))])).await;
    assert_eq!(id_of(&a), name);
    assert_eq!(get(&a, "key_name"), &s(&name));
    assert!(str_of(&a, "key_pair_id").starts_with("key-"), "{a}");
    assert!(!str_of(&a, "fingerprint").is_empty(), "{a}");
    assert_eq!(get(&a, "key_type"), &s("ed25519"));
    assert_eq!(get(&a, "public_key"), &s(PUBLIC_KEY));
    assert!(str_of(&a, "arn").ends_with(&format!(":key-pair/{name}")), "{a}");
    assert!(str_of(&b, "key_name").starts_with("net-kp-b-"), "{b}");
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", "deploy"), ("Team", "platform")]));

    let objects = [("aws_key_pair.a", &a), ("aws_key_pair.b", &b), ("aws_key_pair.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    let mut cfg_a2 = cfg_a.clone();
    cfg_a2[2].1 = tags(&[("Name", "deploy2"), ("Env", "dev")]);
    let a2 = update(&p, "aws_key_pair.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(get(&a2, "tags"), &tags(&[("Env", "dev"), ("Name", "deploy2")]));
    assert_eq!(read_one(&p, "aws_key_pair.a", ty, &a2).await, Some(a2.clone()));

    let imported = import(&p, "aws_key_pair.a", ty, &name).await.expect("import finds the key pair");
    assert!(str_of(&imported, "public_key").starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPctwxveHsqXJxLDbsw"), "{imported}");
    assert_eq!(get(&imported, "key_pair_id"), get(&a, "key_pair_id"));
    assert_eq!(get(&imported, "tags_all"), get(&a2, "tags_all"));
    assert_eq!(find(&p, "aws_key_pair.c", ty, &c).await, Some(c.clone()));
    assert_eq!(find(&p, "aws_key_pair.x", ty, &c).await, None);
    assert!(list(&p, ty).await.contains_key(&name));

    for (address, state) in [("aws_key_pair.a", &a2), ("aws_key_pair.b", &b), ("aws_key_pair.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_key_pair.a", ty, a2).await;
}

#[tokio::test]
async fn moto_ebs_volume_lifecycle() {
    let p = support::provider().await;
    let ty = "aws_ebs_volume";
    let num = |n: f64| Value::Number(n);
    let cfg_a = [
        ("availability_zone", s("us-east-1a")),
        ("size", num(10.0)),
        ("type", s("gp3")),
        ("iops", num(3000.0)),
        ("throughput", num(125.0)),
        ("tags", tags(&[("Name", "data")])),
    ];
    let a = create(&p, "aws_ebs_volume.a", ty, planned(ty, &cfg_a)).await;
    let plan_b = planned(ty, &[("availability_zone", s("us-east-1b")), ("size", num(5.0)), ("final_snapshot", Value::Bool(true))]);
    let b = create(&p, "aws_ebs_volume.b", ty, plan_b).await;
    let c = create(
        &p,
        "aws_ebs_volume.c",
        ty,
        planned(ty, &[("availability_zone", s("us-east-1a")), ("size", num(1.0)), ("encrypted", Value::Bool(true))]),
    )
    .await;
    let id = id_of(&a);
    assert!(id.starts_with("vol-"), "{a}");
    assert_eq!(get(&a, "size"), &num(10.0));
    assert_eq!(get(&a, "type"), &s("gp3"));
    assert_eq!(get(&a, "iops"), &num(3000.0));
    assert_eq!(get(&a, "availability_zone"), &s("us-east-1a"));
    assert_eq!(get(&a, "encrypted"), &Value::Bool(false));
    assert_eq!(get(&c, "encrypted"), &Value::Bool(true));
    assert!(str_of(&a, "arn").ends_with(&format!(":volume/{id}")), "{a}");
    assert!(str_of(&a, "create_time").contains('T'), "{a}");
    assert_eq!(get(&a, "multi_attach_enabled"), &Value::Null);
    assert_eq!(get(&a, "tags_all"), &tags(&[("Name", "data"), ("Team", "platform")]));

    let objects = [("aws_ebs_volume.a", &a), ("aws_ebs_volume.b", &b), ("aws_ebs_volume.c", &c)];
    let (states, calls) = read(&p, ty, &objects).await;
    assert_eq!(calls, 1);
    assert_eq!(states, [Some(a.clone()), Some(b.clone()), Some(c.clone())]);

    // Size and IOPS grow in place.
    let mut cfg_a2 = cfg_a.clone();
    cfg_a2[1].1 = num(20.0);
    cfg_a2[3].1 = num(4000.0);
    cfg_a2[5].1 = tags(&[("Name", "data2")]);
    let a2 = update(&p, "aws_ebs_volume.a", ty, a.clone(), replan(ty, &a, &cfg_a2)).await;
    assert_eq!(id_of(&a2), id);
    assert_eq!(get(&a2, "size"), &num(20.0));
    assert_eq!(get(&a2, "iops"), &num(4000.0));
    assert_eq!(get(&a2, "tags"), &tags(&[("Name", "data2")]));
    assert_eq!(read_one(&p, "aws_ebs_volume.a", ty, &a2).await, Some(a2.clone()));

    let imported = import(&p, "aws_ebs_volume.a", ty, &id).await.expect("import finds the volume");
    assert_eq!(get(&imported, "size"), &num(20.0));
    assert_eq!(get(&imported, "tags_all"), get(&a2, "tags_all"));
    assert_eq!(find(&p, "aws_ebs_volume.b", ty, &b).await, Some(b.clone()));
    assert!(list(&p, ty).await.contains_key(&id_of(&c)));

    for (address, state) in [("aws_ebs_volume.a", &a2), ("aws_ebs_volume.b", &b), ("aws_ebs_volume.c", &c)] {
        delete(&p, address, ty, state.clone()).await;
    }
    let (states, _) = read(&p, ty, &objects).await;
    assert_eq!(states, [None, None, None]);
    delete(&p, "aws_ebs_volume.a", ty, a2).await;

    // `final_snapshot` left a snapshot of b behind.
    let ec2 = clients().await.ec2;
    let snaps = ec2
        .describe_snapshots()
        .filters(aws_sdk_ec2::types::Filter::builder().name("volume-id").values(id_of(&b)).build())
        .send()
        .await
        .unwrap();
    assert_eq!(snaps.snapshots().len(), 1, "{snaps:?}");
    let snap = snaps.snapshots()[0].snapshot_id().unwrap().to_string();
    ec2.delete_snapshot().snapshot_id(snap).send().await.unwrap();
}
