//! Work on several inputs at once, on the machine's cores, with results in
//! input order.
//!
//! Parsing dominates the time of a diff of two big dumps, of `--base/--new`
//! with many runs and of `merge`; each input parses on its own, so they
//! parse side by side. Results are handed on strictly in input order, so
//! every sum and every message is the same whatever the number of cores,
//! and at most a window of a few results is held at once, so a fold over
//! 10,000 inputs needs the memory of a handful of them. Scoped standard
//! threads do this in a few lines; a thread-pool crate would add
//! dependencies for nothing more.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Threads to use: `PROFDIFF_THREADS` when set to a positive number, else
/// the available cores, at most 8 (the work is memory bound well before
/// that). Results do not depend on it.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("PROFDIFF_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
    })
}

/// Computes `work(item)` for every item, `threads()` at a time, and hands
/// the results to `sink` in input order. Stops at the first error `sink`
/// returns (results after it may already have been computed, never
/// passed on). A panic in `work` is propagated.
pub fn for_each_ordered<T, R, E>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let threads = threads();
    if threads == 1 || items.len() < 2 {
        for item in items {
            sink(work(item))?;
        }
        return Ok(());
    }
    // Two results per thread: the next window starts when this one is
    // consumed, so memory stays bounded by the window.
    for window in items.chunks(2 * threads) {
        for result in map_window(window, &work, threads) {
            sink(result)?;
        }
    }
    Ok(())
}

/// `work` over every item of `items` on up to `threads` threads; results in
/// order.
fn map_window<T: Sync, R: Send>(
    items: &[T],
    work: &(impl Fn(&T) -> R + Sync),
    threads: usize,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(items.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                let result = work(item);
                *slots[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was worked on")
        })
        .collect()
}

/// `work` over `items` split into one contiguous piece per thread, the
/// pieces' results concatenated in order: for a long, even workload such
/// as the rows of a 100k-function diff. `weight` estimates an item's cost
/// so that pieces take about the same time.
pub fn map_pieces<T, R>(
    items: &mut [T],
    weight: impl Fn(&T) -> usize,
    work: impl Fn(&mut [T]) -> Vec<R> + Sync,
) -> Vec<R>
where
    T: Send,
    R: Send,
{
    let pieces = in_pieces(items, weight, work);
    if pieces.len() == 1 {
        return pieces.into_iter().next().unwrap_or_default();
    }
    let mut out = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
    for piece in pieces {
        out.extend(piece);
    }
    out
}

/// `work` over `items` split into one contiguous piece per thread (one
/// piece when there are few items or one core); one result per piece, in
/// order.
pub fn in_pieces<T, P>(
    items: &mut [T],
    weight: impl Fn(&T) -> usize,
    work: impl Fn(&mut [T]) -> P + Sync,
) -> Vec<P>
where
    T: Send,
    P: Send,
{
    let threads = threads();
    // Below this much weight, a thread costs more than it saves.
    const SMALL: usize = 4096;
    if threads == 1 || items.len() < 2 {
        return vec![work(items)];
    }
    let total: usize = items.iter().map(&weight).sum();
    if total < SMALL {
        return vec![work(items)];
    }
    let share = total.div_ceil(threads).max(1);
    let mut ends = Vec::with_capacity(threads);
    let mut load = 0;
    for (index, item) in items.iter().enumerate() {
        load += weight(item);
        if load >= share && ends.len() + 1 < threads {
            ends.push(index + 1);
            load = 0;
        }
    }
    let mut pieces: Vec<&mut [T]> = Vec::with_capacity(threads);
    let mut rest = items;
    let mut taken = 0;
    for end in ends {
        let (piece, tail) = rest.split_at_mut(end - taken);
        pieces.push(piece);
        rest = tail;
        taken = end;
    }
    pieces.push(rest);
    let mut pieces = pieces.into_iter();
    let first = pieces.next().expect("at least one piece");
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .map(|piece| scope.spawn(move || work(piece)))
            .collect();
        let mut results = vec![work(first)];
        for handle in handles {
            results.push(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        results
    })
}

/// Runs `a` and `b` at once (the two sides of a diff).
pub fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if threads() == 1 {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let first = scope.spawn(a);
        let second = b();
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_and_errors_stop_the_sink() {
        let items: Vec<u64> = (0..103).collect();
        let mut seen = Vec::new();
        // Uneven work so threads finish out of order.
        let slow = |&n: &u64| {
            std::thread::sleep(std::time::Duration::from_micros((103 - n) * 20));
            n * n
        };
        for_each_ordered(&items, slow, |r| {
            seen.push(r);
            Ok::<_, ()>(())
        })
        .unwrap();
        assert_eq!(seen, items.iter().map(|n| n * n).collect::<Vec<_>>());

        let mut passed = Vec::new();
        let stopped = for_each_ordered(
            &items,
            |&n| n,
            |r| {
                if r == 40 {
                    return Err(r);
                }
                passed.push(r);
                Ok(())
            },
        );
        assert_eq!(stopped, Err(40));
        assert_eq!(passed, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn pieces_concatenate_in_order() {
        let mut items: Vec<usize> = (0..10_000).collect();
        let out = map_pieces(
            &mut items,
            |&n| n % 7 + 1,
            |piece| piece.iter().map(|n| n * 2).collect(),
        );
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(out.len(), 10_000);
        assert!(map_pieces(&mut [] as &mut [usize], |_| 1, |p| p.to_vec()).is_empty());
    }

    #[test]
    fn join_returns_both_in_order() {
        assert_eq!(join(|| "base", || "new"), ("base", "new"));
    }
}
