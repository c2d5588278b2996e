//! Waiting for many objects of one type at the cost of one: concurrent waits
//! (one per create the engine runs at once) share a poller per kind of wait,
//! which describes every object still waited for with one Describe per poll
//! round (the ids in one filter, chunked by the kind's fetch) instead of one
//! Describe per object. Each waiter gets its object as described in every
//! round until it is satisfied, times out or is dropped.
//!
//! The pollers live in [`crate::Clients`] (one set per configured provider,
//! so per region and account); a poller's task runs while anyone waits.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use strata_provider::ProviderError;
use tokio::sync::mpsc;

use crate::clients::Clients;

/// What one round's fetch returns: the objects found, by id (an id missing
/// from the map was not found).
pub type Found<V> = Result<HashMap<String, V>, ProviderError>;

/// A kind's fetch: describe these ids (distinct, at least one) at once.
pub type Fetch<C, V> = fn(C, Vec<String>) -> Pin<Box<dyn Future<Output = Found<V>> + Send>>;

/// How often a poller describes what is waited for. The first round comes
/// one period after the first waiter arrives, so creates started together
/// (a `count` of instances) are described together.
pub const POLL_EVERY: Duration = Duration::from_millis(1000);

/// The pollers of one set of clients, by kind of wait.
#[derive(Clone, Default)]
pub struct Pollers(Arc<Mutex<HashMap<&'static str, Arc<dyn Any + Send + Sync>>>>);

impl Pollers {
    /// The poller of `kind` (made on first use with `fetch`; a kind always
    /// comes with the same fetch).
    pub fn get<V: Clone + Send + Sync + 'static>(&self, kind: &'static str, fetch: Fetch<Clients, V>) -> Arc<Poller<Clients, V>> {
        let mut map = lock(&self.0);
        let make = || Arc::new(Poller::new(kind, fetch, POLL_EVERY));
        let entry = map.entry(kind).or_insert_with(|| make() as Arc<dyn Any + Send + Sync>);
        match entry.clone().downcast::<Poller<Clients, V>>() {
            Ok(p) => p,
            // A kind named twice with different value types: a programming
            // error, but a poller of its own still waits correctly.
            Err(_) => make(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

type Observation<V> = Result<Option<V>, ProviderError>;

/// One kind's shared poller.
pub struct Poller<C, V> {
    kind: &'static str,
    fetch: Fetch<C, V>,
    every: Duration,
    inner: Mutex<Inner<V>>,
}

struct Inner<V> {
    waiters: HashMap<u64, (String, mpsc::UnboundedSender<Observation<V>>)>,
    next: u64,
    polling: bool,
}

impl<C: Clone + Send + Sync + 'static, V: Clone + Send + Sync + 'static> Poller<C, V> {
    /// A poller describing what is waited for every `every`.
    pub fn new(kind: &'static str, fetch: Fetch<C, V>, every: Duration) -> Poller<C, V> {
        Poller { kind, fetch, every, inner: Mutex::new(Inner { waiters: HashMap::new(), next: 0, polling: false }) }
    }

    /// Start waiting for `id`: from the next round on, the watch receives
    /// the object as described (or `None`, not found) every round.
    pub fn watch(self: &Arc<Self>, c: &C, id: &str) -> Watch<C, V> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = lock(&self.inner);
        let key = inner.next;
        inner.next += 1;
        inner.waiters.insert(key, (id.to_string(), tx));
        if !inner.polling {
            inner.polling = true;
            tokio::spawn(self.clone().run(c.clone()));
        }
        Watch { poller: self.clone(), key, rx }
    }

    /// Poll rounds while anyone waits: one fetch of every id waited for.
    async fn run(self: Arc<Self>, c: C) {
        loop {
            tokio::time::sleep(self.every).await;
            let ids = {
                let mut inner = lock(&self.inner);
                if inner.waiters.is_empty() {
                    inner.polling = false;
                    return;
                }
                let mut ids: Vec<String> = inner.waiters.values().map(|(id, _)| id.clone()).collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            };
            tracing::debug!(kind = self.kind, objects = ids.len(), "poll round");
            let found = (self.fetch)(c.clone(), ids).await;
            let inner = lock(&self.inner);
            for (id, tx) in inner.waiters.values() {
                let _ = tx.send(match &found {
                    Ok(m) => Ok(m.get(id).cloned()),
                    Err(e) => Err(e.clone()),
                });
            }
        }
    }
}

/// One waiter's place in a poller; leaving drops it from the rounds.
pub struct Watch<C: Clone + Send + Sync + 'static, V: Clone + Send + Sync + 'static> {
    poller: Arc<Poller<C, V>>,
    key: u64,
    rx: mpsc::UnboundedReceiver<Observation<V>>,
}

impl<C: Clone + Send + Sync + 'static, V: Clone + Send + Sync + 'static> Watch<C, V> {
    /// Wait until `ready` returns `Some` for the object as described in a
    /// round (`None`: not found; `ready` may fail for a terminal state), for
    /// at most `timeout`. An error of a round's fetch ends the wait.
    pub async fn until<T>(
        mut self,
        what: &str,
        timeout: Duration,
        mut ready: impl FnMut(Option<&V>) -> Result<Option<T>, ProviderError>,
    ) -> Result<T, ProviderError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(observed)) => {
                    if let Some(t) = ready(observed?.as_ref())? {
                        return Ok(t);
                    }
                }
                Ok(None) => return Err(crate::util::invalid(format!("the poller for {what} stopped"))),
                Err(_) => {
                    return Err(ProviderError {
                        code: Some("WaitTimeout".into()),
                        message: format!("timed out after {timeout:?} waiting for {what}"),
                        retryable: false,
                    });
                }
            }
        }
    }
}

impl<C: Clone + Send + Sync + 'static, V: Clone + Send + Sync + 'static> Drop for Watch<C, V> {
    fn drop(&mut self) {
        lock(&self.poller.inner).waiters.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// A fetch that finds every id, with the number of the round.
    fn counting(_c: (), ids: Vec<String>) -> Pin<Box<dyn Future<Output = Found<usize>> + Send>> {
        let round = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move { Ok(ids.into_iter().map(|id| (id, round)).collect()) })
    }

    /// Guards against one Describe per waiter: 50 concurrent waits for
    /// objects ready in the second round take two fetches, not 100.
    #[tokio::test]
    async fn concurrent_waits_share_one_fetch_per_round() {
        let poller = Arc::new(Poller::new("test", counting as Fetch<(), usize>, Duration::from_millis(20)));
        let waits: Vec<_> = (0..50)
            .map(|i| {
                let watch = poller.watch(&(), &format!("id-{i}"));
                tokio::spawn(watch.until("x", Duration::from_secs(60), |v| Ok(v.copied().filter(|r| *r >= 2))))
            })
            .collect();
        for w in waits {
            assert_eq!(w.await.unwrap().unwrap(), 2);
        }
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
        // The poller stops when nobody waits, and starts again for a new waiter.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(CALLS.load(Ordering::SeqCst), 2, "no round without waiters");
        let late = poller.watch(&(), "late").until("x", Duration::from_secs(60), |v| Ok(v.copied())).await.unwrap();
        assert_eq!(late, 3);
    }

    #[tokio::test]
    async fn a_wait_times_out_and_a_failed_round_ends_it() {
        let never = Arc::new(Poller::new("never", |_c: (), _ids| Box::pin(async { Ok(HashMap::new()) }) as _, Duration::from_millis(5)));
        let err = never.watch(&(), "x").until("thing x", Duration::from_millis(50), |v: Option<&u8>| Ok(v.copied())).await.unwrap_err();
        assert_eq!(err.code.as_deref(), Some("WaitTimeout"));
        let failing = Arc::new(Poller::new(
            "failing",
            |_c: (), _ids| Box::pin(async { Err(crate::util::invalid("denied")) }) as _,
            Duration::from_millis(5),
        ));
        let err = failing.watch(&(), "x").until("thing x", Duration::from_secs(60), |v: Option<&u8>| Ok(v.copied())).await.unwrap_err();
        assert_eq!(err.message, "denied");
    }
}
