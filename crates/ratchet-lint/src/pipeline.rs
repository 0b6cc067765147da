//! Parallel production, in-order consumption: how the engine spreads parsing over cores.
//!
//! Parsing a statement does not depend on any other statement, but the rules do: each file's
//! `FileState` is learned statement by statement, so a file's statements must reach the rules
//! in order. [`run`] parses chunks of statements on every core and hands each file's chunks
//! to its rule pass in order, as soon as they and all earlier chunks of the file are parsed,
//! on whichever thread parsed the last of them. One big file is then parsed in parallel as
//! well as many small ones (issue 4: a 5 MB baseline was linted on one core).
//!
//! At most `window` chunks are between being claimed and being consumed, so a big file's
//! parse trees are never all in memory at once. Each chunk's result is dropped by the thread
//! that produced it (see `Shared::spent`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Consecutive work items (statements) of one group (file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub group: usize,
    pub items: Range<usize>,
}

/// Calls `produce` on every chunk, in parallel on up to `workers` threads (the calling thread
/// is one of them), and `consume` with each group's state and its chunks' results in chunk
/// order, one chunk at a time per group. Returns the groups' states.
///
/// `chunks` must be ordered by group, each group's chunks in a row. A group without chunks is
/// returned as it was given.
///
/// # Panics
///
/// If `produce` or `consume` panics, the other threads stop at their next chunk and the panic
/// propagates.
pub(crate) fn run<G, T>(
    groups: Vec<G>,
    chunks: &[Chunk],
    workers: usize,
    window: usize,
    produce: impl Fn(&Chunk) -> T + Sync,
    consume: impl Fn(&mut G, &mut T) + Sync,
) -> Vec<G>
where
    G: Send,
    T: Send,
{
    debug_assert!(chunks.windows(2).all(|w| w[0].group <= w[1].group));
    let mut first = vec![usize::MAX; groups.len()];
    for (index, chunk) in chunks.iter().enumerate().rev() {
        first[chunk.group] = index;
    }
    let workers = workers.clamp(1, chunks.len().max(1));
    let shared = Shared {
        chunks,
        spent: (0..workers).map(|_| Mutex::new(Vec::new())).collect(),
        queue: Mutex::new(Queue::default()),
        room: Condvar::new(),
        window: window.max(1),
        slots: groups
            .into_iter()
            .zip(first)
            .map(|(state, next)| {
                Mutex::new(Slot {
                    state: Some(state),
                    next,
                    ready: BTreeMap::new(),
                })
            })
            .collect(),
    };
    if workers == 1 {
        shared.work(0, &produce, &consume);
    } else {
        std::thread::scope(|scope| {
            for worker in 1..workers {
                let shared = &shared;
                let (produce, consume) = (&produce, &consume);
                scope.spawn(move || shared.work(worker, produce, consume));
            }
            shared.work(0, &produce, &consume);
        });
    }
    shared
        .slots
        .into_iter()
        .map(|slot| {
            let slot = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
            slot.state.expect("every chunk was consumed")
        })
        .collect()
}

struct Shared<'c, G, T> {
    chunks: &'c [Chunk],
    queue: Mutex<Queue>,
    /// Signalled when a chunk has been consumed (room in the window) or a thread failed.
    room: Condvar,
    window: usize,
    slots: Vec<Mutex<Slot<G, T>>>,
    /// Consumed values, by the worker that produced them, for it to drop after its next
    /// chunk. With glibc's malloc, a free of memory another thread allocated contends with that
    /// thread's own allocations: dropping parse trees where they were consumed made the 5 MB
    /// file of issue 4 take 520 ms on two cores instead of 240, and 670 ms of CPU instead of
    /// 420.
    spent: Vec<Mutex<Vec<T>>>,
}

#[derive(Default)]
struct Queue {
    /// The next chunk to claim.
    next: usize,
    /// Chunks claimed and not yet consumed.
    in_flight: usize,
    /// Threads waiting for `in_flight` to drop below the window.
    waiting: usize,
    /// A thread panicked: stop.
    failed: bool,
}

/// One group's state and its produced chunks that wait for an earlier one.
struct Slot<G, T> {
    /// `None` while a thread is consuming one of this group's chunks.
    state: Option<G>,
    /// The index of the group's next chunk to consume.
    next: usize,
    /// Produced values waiting for an earlier chunk, with the worker that produced them.
    ready: BTreeMap<usize, (T, usize)>,
}

impl<G, T> Shared<'_, G, T> {
    fn work(
        &self,
        worker: usize,
        produce: &impl Fn(&Chunk) -> T,
        consume: &impl Fn(&mut G, &mut T),
    ) {
        let _guard = FailOnPanic(self);
        while let Some(index) = self.claim() {
            let value = produce(&self.chunks[index]);
            self.deliver(index, worker, value, consume);
            drop(std::mem::take(&mut *lock(&self.spent[worker])));
        }
    }

    fn claim(&self) -> Option<usize> {
        let mut queue = lock(&self.queue);
        loop {
            if queue.failed || queue.next == self.chunks.len() {
                return None;
            }
            if queue.in_flight < self.window {
                break;
            }
            queue.waiting += 1;
            queue = self
                .room
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
            queue.waiting -= 1;
        }
        let index = queue.next;
        queue.next += 1;
        queue.in_flight += 1;
        if queue.next == self.chunks.len() {
            // Threads waiting for room would otherwise only be woken one per consumed chunk,
            // which may be fewer than them: wake them all to see there is nothing left.
            self.room.notify_all();
        }
        Some(index)
    }

    /// Consumes chunk `index`'s `value` if its group is waiting for it, then every chunk of
    /// the group that was produced early and is next in order. Otherwise files it for the
    /// thread that consumes the chunk before it.
    fn deliver(&self, index: usize, worker: usize, value: T, consume: &impl Fn(&mut G, &mut T)) {
        let group = self.chunks[index].group;
        let mut slot = lock(&self.slots[group]);
        if slot.next != index || slot.state.is_none() {
            slot.ready.insert(index, (value, worker));
            return;
        }
        let (mut value, mut producer) = (value, worker);
        loop {
            // A group's chunks are consecutive, so its next one is the following index.
            slot.next += 1;
            let mut state = slot
                .state
                .take()
                .expect("checked before the loop and below");
            drop(slot);
            consume(&mut state, &mut value);
            if producer == worker {
                drop(value);
            } else {
                lock(&self.spent[producer]).push(value);
            }
            let wake = {
                let mut queue = lock(&self.queue);
                queue.in_flight -= 1;
                queue.waiting > 0
            };
            if wake {
                self.room.notify_one();
            }
            slot = lock(&self.slots[group]);
            slot.state = Some(state);
            let next = slot.next;
            match slot.ready.remove(&next) {
                Some(ready) => (value, producer) = ready,
                None => return,
            }
        }
    }
}

/// Marks the run failed when its thread unwinds, so no other thread waits for room that a
/// chunk the panicking thread held will never free.
struct FailOnPanic<'s, 'c, G, T>(&'s Shared<'c, G, T>);

impl<G, T> Drop for FailOnPanic<'_, '_, G, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.queue).failed = true;
            self.0.room.notify_all();
        }
    }
}

/// Locks `mutex`; a poisoned one is still used, because a panic elsewhere only ever leads to
/// this run being abandoned, never to its data being read as a result.
fn lock<V>(mutex: &Mutex<V>) -> MutexGuard<'_, V> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(sizes: &[&[usize]]) -> Vec<Chunk> {
        let mut out = Vec::new();
        for (group, sizes) in sizes.iter().enumerate() {
            let mut start = 0;
            for &size in *sizes {
                out.push(Chunk {
                    group,
                    items: start..start + size,
                });
                start += size;
            }
        }
        out
    }

    #[test]
    fn each_group_sees_its_items_in_order() {
        let sizes: Vec<Vec<usize>> = (0..20)
            .map(|g| (0..(g % 7)).map(|c| 1 + (g * 3 + c) % 5).collect())
            .collect();
        let sizes: Vec<&[usize]> = sizes.iter().map(Vec::as_slice).collect();
        let chunks = chunks(&sizes);
        for workers in [1, 2, 3, 8] {
            for window in [1, 2, 16] {
                let groups = run(
                    vec![Vec::new(); sizes.len()],
                    &chunks,
                    workers,
                    window,
                    |chunk| {
                        // Uneven work, so chunks finish out of order.
                        let spin = (chunk.items.start * 7919) % 5000;
                        std::hint::black_box((0..spin).sum::<usize>());
                        chunk.items.clone().collect::<Vec<_>>()
                    },
                    |seen: &mut Vec<usize>, items: &mut Vec<usize>| seen.extend(items.iter()),
                );
                for (group, seen) in groups.iter().enumerate() {
                    let total: usize = sizes[group].iter().sum();
                    assert_eq!(*seen, (0..total).collect::<Vec<_>>(), "group {group}");
                }
            }
        }
    }

    #[test]
    fn no_chunks_returns_the_groups() {
        let groups = run(vec![1, 2], &[], 4, 4, |_| (), |_: &mut i32, _| {});
        assert_eq!(groups, vec![1, 2]);
    }

    #[test]
    fn a_panic_propagates_instead_of_hanging() {
        let chunks = chunks(&[&[1; 50], &[1; 50]]);
        for workers in [1, 2, 4] {
            let result = std::panic::catch_unwind(|| {
                run(
                    vec![(); 2],
                    &chunks,
                    workers,
                    2,
                    |chunk| chunk.items.start,
                    |(), start: &mut usize| assert_ne!(*start, 30, "rule bug"),
                )
            });
            assert!(result.is_err(), "{workers} workers");
        }
    }
}
