//! `aws_route_table_association`: no tags, its id is AWS's association id.
//!
//! In place: `route_table_id` (ReplaceRouteTableAssociation, which gives
//! the association a new id). The batched `read` describes the recorded
//! route tables (one call per page) and looks for each association in its
//! table; an association moved to another table out of band has a new id,
//! so it reads as gone. Crash recovery finds the association by its
//! natural key: the subnet (or gateway) associated with the planned table.
//! `import` takes the association id or Terraform's `subnet-.../rtb-...`
//! (`igw-.../rtb-...`).

use async_trait::async_trait;
use aws_sdk_ec2::types::{self as ec2, RouteTableAssociationStateCode};
use strata_core::Value;
use strata_provider::{ApplyRequest, ListedObject, ProviderError, ReadObject, ReadResult};

use super::route_table::RouteTable;
use super::{Ec2Kind, blank, filter, gone_ok, prior, prior_id, timeout};
use crate::clients::Clients;
use crate::resources::ResourceType;
use crate::util::{Attrs, StateBuilder, aws_err, identity_known, invalid, wait_for};

pub struct Association;

fn state(base: &Value, a: &ec2::RouteTableAssociation) -> Value {
    let mut b = StateBuilder::from_planned(base);
    b.str("id", a.route_table_association_id())
        .str("route_table_id", a.route_table_id())
        .str("subnet_id", a.subnet_id())
        .str("gateway_id", a.gateway_id());
    b.build()
}

/// An association that exists (not the main one, not disassociated).
fn live(a: &ec2::RouteTableAssociation) -> bool {
    a.main() != Some(true)
        && !a
            .association_state()
            .and_then(|s| s.state())
            .is_some_and(|s| matches!(s, RouteTableAssociationStateCode::Disassociated | RouteTableAssociationStateCode::Disassociating))
}

/// Every live association of the tables matching `filters`, and the calls made.
async fn associations(c: &Clients, filters: Vec<ec2::Filter>) -> Result<(Vec<ec2::RouteTableAssociation>, usize), ProviderError> {
    let (tables, calls) = RouteTable::describe(c, filters).await?;
    Ok((tables.into_iter().flat_map(|t| t.associations.unwrap_or_default()).filter(live).collect(), calls))
}

/// The association of `target` (a subnet or gateway id) with `table`.
async fn find_pair(c: &Clients, target: &str, table: &str) -> Result<Option<ec2::RouteTableAssociation>, ProviderError> {
    let (found, _) = associations(c, vec![filter("route-table-id", [table])]).await?;
    Ok(found.into_iter().find(|a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target)))
}

async fn find_id(c: &Clients, table: &str, id: &str) -> Result<Option<ec2::RouteTableAssociation>, ProviderError> {
    let (found, _) = associations(c, vec![filter("route-table-id", [table])]).await?;
    Ok(found.into_iter().find(|a| a.route_table_association_id() == Some(id)))
}

/// Wait until the association reports `associated` (AWS may say `associating` first).
async fn wait_associated(c: &Clients, table: &str, id: &str, t: std::time::Duration) -> Result<ec2::RouteTableAssociation, ProviderError> {
    wait_for(&format!("route table association {id}"), t, || async {
        let a = find_id(c, table, id).await?;
        Ok(a.filter(|a| a.association_state().and_then(|s| s.state()).is_none_or(|s| *s == RouteTableAssociationStateCode::Associated)))
    })
    .await
}

#[async_trait]
impl ResourceType for Association {
    fn type_name(&self) -> &'static str {
        "aws_route_table_association"
    }

    async fn read(&self, c: &Clients, objects: &[ReadObject]) -> Result<(Vec<ReadResult>, usize), ProviderError> {
        // Filtering by the tables (not by association ids) keeps the batch
        // one call per page on moto too, whose list filters only match
        // when a table holds all the given ids or none besides them.
        let mut tables: Vec<String> = objects.iter().filter_map(|o| o.prior.string("route_table_id")).collect();
        tables.sort();
        tables.dedup();
        let (mut found, mut calls) = (Vec::new(), 0);
        for chunk in tables.chunks(super::FILTER_VALUES) {
            let (a, n) = associations(c, vec![filter("route-table-id", chunk.iter().cloned())]).await?;
            found.extend(a);
            calls += n;
        }
        let results = objects
            .iter()
            .map(|o| {
                ReadResult::new(
                    o.addr.clone(),
                    found.iter().find(|a| a.route_table_association_id() == Some(o.id.as_str())).map(|a| state(&o.prior, a)),
                )
            })
            .collect();
        Ok((results, calls))
    }

    async fn create(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let p = &req.planned;
        let table = p.string("route_table_id").ok_or_else(|| invalid("route_table_id is not known"))?;
        let (subnet, gateway) = (p.string("subnet_id"), p.string("gateway_id"));
        if subnet.is_some() == gateway.is_some() {
            return Err(invalid("a route table association needs exactly one of subnet_id and gateway_id"));
        }
        let out = c
            .ec2
            .associate_route_table()
            .route_table_id(&table)
            .set_subnet_id(subnet)
            .set_gateway_id(gateway)
            .send()
            .await
            .map_err(aws_err)?;
        let id = out.association_id.ok_or_else(|| invalid("AssociateRouteTable returned no association id"))?;
        let a = wait_associated(c, &table, &id, timeout(req.timeouts.create)).await?;
        Ok(state(p, &a))
    }

    async fn update(&self, c: &Clients, req: &ApplyRequest) -> Result<Value, ProviderError> {
        let id = prior_id(req)?;
        let p = &req.planned;
        let table = p.string("route_table_id").ok_or_else(|| invalid("route_table_id is not known"))?;
        if !super::changed(req, "route_table_id") {
            let a = find_id(c, &table, &id).await?.ok_or_else(|| invalid(format!("route table association {id} does not exist")))?;
            return Ok(state(p, &a));
        }
        let out = c.ec2.replace_route_table_association().association_id(&id).route_table_id(&table).send().await.map_err(aws_err)?;
        let new_id = out.new_association_id.ok_or_else(|| invalid("ReplaceRouteTableAssociation returned no association id"))?;
        let a = wait_associated(c, &table, &new_id, timeout(req.timeouts.update)).await?;
        Ok(state(p, &a))
    }

    async fn delete(&self, c: &Clients, req: &ApplyRequest) -> Result<(), ProviderError> {
        let id = prior_id(req)?;
        gone_ok(c.ec2.disassociate_route_table().association_id(&id).send().await.map(|_| ()).map_err(aws_err))?;
        // Wait until the table no longer lists it.
        let table = prior(req)?.string("route_table_id").unwrap_or_default();
        wait_for(&format!("route table association {id} to go"), timeout(req.timeouts.delete), || async {
            Ok(find_id(c, &table, &id).await?.is_none().then_some(()))
        })
        .await
    }

    async fn find_by_intent(&self, c: &Clients, _addr: &str, _token: &str, planned: &Value) -> Result<Option<Value>, ProviderError> {
        identity_known(planned, "aws_route_table_association", &["subnet_id", "gateway_id", "route_table_id"])?;
        let target = planned.str_attr("subnet_id").or(planned.str_attr("gateway_id"));
        let (Some(target), Some(table)) = (target, planned.str_attr("route_table_id")) else { return Ok(None) };
        Ok(find_pair(c, target, table).await?.map(|a| state(planned, &a)))
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        let found = match id.split_once('/') {
            Some((target, table)) => find_pair(c, target, table).await?,
            None => associations(c, vec![filter("association.route-table-association-id", [id])])
                .await?
                .0
                .into_iter()
                .find(|a| a.route_table_association_id() == Some(id)),
        };
        Ok(found.map(|a| state(&blank("aws_route_table_association"), &a)))
    }

    async fn list(&self, c: &Clients) -> Result<(Vec<ListedObject>, usize), ProviderError> {
        let (found, calls) = associations(c, Vec::new()).await?;
        let listed = found
            .iter()
            .filter_map(|a| {
                Some(ListedObject {
                    provider_default: false,
                    id: a.route_table_association_id()?.to_string(),
                    tags: Default::default(),
                    parent: a.route_table_id().map(|t| ("aws_route_table".to_string(), t.to_string())),
                })
            })
            .collect();
        Ok((listed, calls))
    }
}
