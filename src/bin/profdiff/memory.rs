//! The memory budget: a hostile or enormous input ends in a clear exit 2,
//! never in the kernel's OOM killer or Rust's abort.
//!
//! Every allocation of the program goes through [`Budgeted`], which counts
//! the bytes in use. An allocation that would take the count past the
//! budget (`--max-memory`, by default three quarters of the machine's
//! memory), or that the system refuses (an address-space limit, `ulimit
//! -v`), ends the program: it prints which inputs were being read and
//! exits with code 2. Counting is one atomic addition per allocation, which
//! does not show in the benchmarks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The program's allocator: the system's, counted against the budget.
pub struct Budgeted;

static USED: AtomicUsize = AtomicUsize::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The inputs being read, named when memory runs out.
static READING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Sets the budget in bytes (`None`: no budget).
pub fn set_limit(bytes: Option<usize>) {
    LIMIT.store(bytes.unwrap_or(usize::MAX), Ordering::Relaxed);
}

/// Three quarters of the machine's memory (Linux `/proc/meminfo`), or no
/// budget where that is not known.
pub fn default_limit() -> Option<usize> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024) / 4 * 3)
}

/// Runs `read` with `path` named as being read, should memory run out.
pub fn reading<T>(path: &Path, read: impl FnOnce() -> T) -> T {
    lock_reading().push(path.to_path_buf());
    let result = read();
    let mut names = lock_reading();
    if let Some(at) = names.iter().position(|p| p == path) {
        names.swap_remove(at);
    }
    result
}

fn lock_reading() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    READING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts `size` more bytes in use; false (and nothing counted) when that
/// would pass the budget.
fn reserve(size: usize) -> bool {
    let before = USED.fetch_add(size, Ordering::Relaxed);
    if before.saturating_add(size) > LIMIT.load(Ordering::Relaxed) {
        USED.fetch_sub(size, Ordering::Relaxed);
        return false;
    }
    true
}

/// Reports and exits 2. Writes without allocating: memory is what ran out.
#[cold]
fn out_of_memory(size: usize, refused_by_system: bool) -> ! {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "profdiff: error: ");
    // `try_lock`: the thread that ran out may hold the lock.
    if let Ok(names) = READING.try_lock() {
        for (index, path) in names.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            let _ = write!(err, "{separator}{}", path.display());
        }
        if !names.is_empty() {
            let _ = write!(err, ": ");
        }
    }
    let used = USED.load(Ordering::Relaxed);
    if refused_by_system {
        let _ = writeln!(
            err,
            "out of memory: the system refused {size} more bytes with {used} in use"
        );
    } else {
        let _ = writeln!(
            err,
            "needs more memory than the budget of {} bytes ({used} in use, {size} more asked); \
             raise it with --max-memory",
            LIMIT.load(Ordering::Relaxed)
        );
    }
    let _ = err.flush();
    std::process::exit(2)
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees hold; the counting around the calls
// touches only atomics and never allocates.
unsafe impl GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !reserve(layout.size()) {
            out_of_memory(layout.size(), false);
        }
        // SAFETY: forwarded unchanged (see the impl).
        let pointer = unsafe { System.alloc(layout) };
        if pointer.is_null() {
            out_of_memory(layout.size(), true);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !reserve(layout.size()) {
            out_of_memory(layout.size(), false);
        }
        // SAFETY: forwarded unchanged (see the impl).
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if pointer.is_null() {
            out_of_memory(layout.size(), true);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.dealloc(pointer, layout) };
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_size = layout.size();
        if new_size > old_size && !reserve(new_size - old_size) {
            out_of_memory(new_size - old_size, false);
        }
        // SAFETY: forwarded unchanged (see the impl).
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if moved.is_null() {
            out_of_memory(new_size.saturating_sub(old_size), true);
        }
        if new_size < old_size {
            USED.fetch_sub(old_size - new_size, Ordering::Relaxed);
        }
        moved
    }
}

/// A `--max-memory` value: bytes, or `None` for no budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget(pub Option<usize>);

/// `--max-memory`'s parser (see [`parse_size`]).
pub fn parse_budget(text: &str) -> Result<Budget, String> {
    parse_size(text).map(Budget)
}

/// Parses a size: bytes, or a number with K, M, G or T (powers of 1024,
/// an optional `B` or `iB` after it): `512M`, `1.5G`. `0` or `none`: no
/// budget.
pub fn parse_size(text: &str) -> Result<Option<usize>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") || text == "0" {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    let digits = lower.trim_end_matches("ib").trim_end_matches('b');
    let (number, scale) = match digits.chars().last() {
        Some('k') => (&digits[..digits.len() - 1], 1u64 << 10),
        Some('m') => (&digits[..digits.len() - 1], 1 << 20),
        Some('g') => (&digits[..digits.len() - 1], 1 << 30),
        Some('t') => (&digits[..digits.len() - 1], 1 << 40),
        _ => (digits, 1),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 512M, 2G, or none)"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("`{text}` is not a positive size"));
    }
    let bytes = value * scale as f64;
    // Below a few MB nothing could even start.
    if bytes < (8 << 20) as f64 {
        return Err(format!(
            "`{text}` is too small: the budget must be at least 8M"
        ));
    }
    Ok(Some(bytes.min(usize::MAX as f64) as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(Some(512 << 20)));
        assert_eq!(parse_size("2g"), Ok(Some(2 << 30)));
        assert_eq!(parse_size("1.5GiB"), Ok(Some(3 << 29)));
        assert_eq!(parse_size("none"), Ok(None));
        assert_eq!(parse_size("0"), Ok(None));
        assert_eq!(parse_size("16777216"), Ok(Some(16 << 20)));
        assert!(parse_size("1M").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-5G").is_err());
    }
}
