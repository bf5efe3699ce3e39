//! Small per-node caches for data every public request reads and that changes rarely (the
//! default organ, station types, expertise tags). Each entry lives for a fixed time, so
//! several nodes converge within that time without talking to each other.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// A keyed cache whose entries expire `ttl` after they were loaded.
pub struct TtlCache<K, V> {
    ttl: Duration,
    /// Entries kept at most; when full, expired entries go first, then everything.
    capacity: usize,
    inner: RwLock<HashMap<K, (Instant, Arc<V>)>>,
}

impl<K: Eq + Hash + Clone, V> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache { ttl, capacity, inner: RwLock::new(HashMap::new()) }
    }

    /// The cached value, or the loader's value (cached when it succeeds).
    pub async fn get_or_load<E, F, Fut>(&self, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Ok(map) = self.inner.read()
            && let Some((at, v)) = map.get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(v.clone());
        }
        let value = Arc::new(load().await?);
        if let Ok(mut map) = self.inner.write() {
            if map.len() >= self.capacity {
                let ttl = self.ttl;
                map.retain(|_, (at, _)| at.elapsed() < ttl);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            map.insert(key, (Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Forgets everything (after a local write that changes what is cached).
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.write() {
            map.clear();
        }
    }
}

/// A keyed cache whose entries hold while a change counter (`change_counters`) stands where it
/// stood when they were loaded: what it answers is what a fresh computation would answer now,
/// on every node, as long as every write that changes the figures moves the counter (by
/// trigger: m0031). `max_age` only bounds how long an unused entry stays.
pub struct VersionedCache<K, V> {
    max_age: Duration,
    capacity: usize,
    inner: RwLock<HashMap<K, Kept<V>>>,
}

/// An entry: the counter value it was loaded at, when, and the value.
type Kept<V> = (i64, Instant, Arc<V>);

impl<K: Eq + Hash + Clone, V> VersionedCache<K, V> {
    pub fn new(max_age: Duration, capacity: usize) -> Self {
        VersionedCache { max_age, capacity, inner: RwLock::new(HashMap::new()) }
    }

    /// The value loaded at counter `version`, or the loader's value (kept with `version` when it
    /// succeeds). Read the counter before anything the loader reads: a write that lands during
    /// the load then moves it past the version kept, and the next request loads again.
    pub async fn get_or_load<E, F, Fut>(&self, key: K, version: i64, load: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Ok(map) = self.inner.read()
            && let Some((v, at, value)) = map.get(&key)
            && *v == version
            && at.elapsed() < self.max_age
        {
            return Ok(value.clone());
        }
        let value = Arc::new(load().await?);
        if let Ok(mut map) = self.inner.write() {
            if map.len() >= self.capacity {
                let max_age = self.max_age;
                map.retain(|_, (v, at, _)| *v == version && at.elapsed() < max_age);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            // A slower load of an older version does not replace a newer one.
            if map.get(&key).is_none_or(|(v, _, _)| *v <= version) {
                map.insert(key, (version, Instant::now(), value.clone()));
            }
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loads_once_until_expiry() {
        let cache: TtlCache<&str, i32> = TtlCache::new(Duration::from_millis(50), 2);
        let mut calls = 0;
        for _ in 0..3 {
            let v = cache
                .get_or_load("a", || {
                    calls += 1;
                    async { Ok::<_, ()>(7) }
                })
                .await
                .unwrap();
            assert_eq!(*v, 7);
        }
        assert_eq!(calls, 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        cache.get_or_load("a", || async { Ok::<_, ()>(8) }).await.unwrap();
        assert_eq!(*cache.get_or_load("a", || async { Ok::<_, ()>(9) }).await.unwrap(), 8);
        // A failed load is not cached.
        assert!(cache.get_or_load("b", || async { Err::<i32, _>("down") }).await.is_err());
        assert_eq!(*cache.get_or_load("b", || async { Ok::<_, ()>(1) }).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_versioned_entry_holds_while_its_counter_stands() {
        let cache: VersionedCache<&str, i32> = VersionedCache::new(Duration::from_secs(60), 4);
        let v = cache.get_or_load("a", 1, || async { Ok::<_, ()>(10) }).await.unwrap();
        assert_eq!(*v, 10);
        let v = cache.get_or_load("a", 1, || async { Ok::<_, ()>(11) }).await.unwrap();
        assert_eq!(*v, 10, "same counter: the kept value");
        let v = cache.get_or_load("a", 2, || async { Ok::<_, ()>(12) }).await.unwrap();
        assert_eq!(*v, 12, "the counter moved: loaded again");
        // A load that read an older counter does not replace the newer entry.
        let v = cache.get_or_load("a", 1, || async { Ok::<_, ()>(13) }).await.unwrap();
        assert_eq!(*v, 13);
        assert_eq!(*cache.get_or_load("a", 2, || async { Ok::<_, ()>(14) }).await.unwrap(), 12);
        assert!(cache.get_or_load("b", 2, || async { Err::<i32, _>(()) }).await.is_err());
        assert_eq!(*cache.get_or_load("b", 2, || async { Ok::<_, ()>(5) }).await.unwrap(), 5);
    }
}
